# cmake -DIN=file -DOUT=file.c -P embed.cmake
# Writes a C file defining `const char *spx_ir_dialect_source(void)` that
# returns the contents of IN as a NUL-terminated string.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n  " bytes "${bytes}")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}" "/* Generated from ${name} by cmake/embed.cmake; do not edit. */\n"
  "static const char text[] = {\n  ${bytes}0x00};\n"
  "const char *spx_ir_dialect_source(void);\n"
  "const char *spx_ir_dialect_source(void) { return text; }\n")
