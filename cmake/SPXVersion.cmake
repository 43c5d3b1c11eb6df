# The one place SPX's version is written: the top-level project, the runtime
# configured on its own (runtime/CMakeLists.txt) and the installed package's
# SPXConfigVersion.cmake all read it.
set(SPX_VERSION 0.1.0)
