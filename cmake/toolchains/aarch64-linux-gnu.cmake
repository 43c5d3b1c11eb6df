# CMake toolchain file: 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu
# (and libc6-dev-arm64-cross). For the runtime configured on its own:
#   cmake -S runtime -B rt-a64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# Programs run on an aarch64 machine, or here under qemu-user:
#   qemu-aarch64 -L /usr/aarch64-linux-gnu ./program
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
