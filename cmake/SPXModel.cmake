# spx_add_model(<target> SOURCE <model.spx>
#               [NAME <network>] [TARGET <target spec>] [WEIGHTS c|blob]
#               [OPTIONS <spxc option>...])
#
# Compiles a network with spxc at build time into a static library <target>
# that links SPX::spxrt; the generated NAME.h is on its public include path.
# spxc writes a depfile listing the model file, every weight file and the
# calibration data it read, so editing any of them recompiles the model.
#
#   SOURCE   the network (.spx; other inputs spxc reads need NAME)
#   NAME     the network's name, which names the files spxc writes (NAME.h,
#            NAME.c); default: the `network NAME` line of a .spx file
#   TARGET   spxc --target=...: cpu (default: the file's compile block), aie, ...
#   WEIGHTS  spxc --weights=...: c (static const arrays in NAME.c) or blob
#            (NAME.weights.bin, assembled in by NAME.weights.S, which is
#            added to the library: the project must enable ASM)
#   OPTIONS  any other spxc options, e.g. --c-prefix=m1_ --set='quantize * : int8'
#
# spxc is SPX::spxc when the package has it (a host install, or SPX's own
# build), else the program SPX_SPXC names (default: spxc on PATH), e.g. a
# host spxc when the package is a cross-compiled runtime.
function(spx_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 SPXM "" "SOURCE;NAME;TARGET;WEIGHTS" "OPTIONS")
  if(SPXM_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "spx_add_model(${target}): unknown arguments ${SPXM_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT SPXM_SOURCE)
    message(FATAL_ERROR "spx_add_model(${target}): SOURCE <model file> is required")
  endif()
  get_filename_component(src "${SPXM_SOURCE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "spx_add_model(${target}): no such model file: ${src}")
  endif()
  set(name "${SPXM_NAME}")
  if(NOT name AND src MATCHES "\\.spx$")
    file(STRINGS "${src}" lines REGEX "^[ \t]*network[ \t]+[A-Za-z0-9_.+-]+")
    if(lines)
      list(GET lines 0 line)
      string(REGEX REPLACE "^[ \t]*network[ \t]+([A-Za-z0-9_.+-]+).*" "\\1" name "${line}")
    endif()
  endif()
  if(NOT name)
    message(FATAL_ERROR "spx_add_model(${target}): give NAME <network name> for ${src}")
  endif()

  if(TARGET SPX::spxc)
    set(spxc "$<TARGET_FILE:SPX::spxc>")
  else()
    find_program(SPX_SPXC spxc DOC "spxc, the SPX compiler, for spx_add_model()")
    if(NOT SPX_SPXC)
      message(FATAL_ERROR "spx_add_model(${target}): no spxc (set SPX_SPXC to the host's spxc)")
    endif()
    set(spxc "${SPX_SPXC}")
  endif()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/spx_models/${target}")
  set(args "${src}" --emit=c,report -o "${dir}" "--depfile=${dir}/${name}.d")
  if(SPXM_TARGET)
    list(APPEND args "--target=${SPXM_TARGET}")
  endif()
  # In the order spxc writes them: ninja wants the first in the depfile first.
  set(outputs "${dir}/${name}.h" "${dir}/${name}.c" "${dir}/${name}.report.json")
  set(sources "${dir}/${name}.c")
  if(SPXM_WEIGHTS)
    if(NOT SPXM_WEIGHTS MATCHES "^(c|blob)$")
      message(FATAL_ERROR "spx_add_model(${target}): WEIGHTS is c or blob, not ${SPXM_WEIGHTS}")
    endif()
    list(APPEND args "--weights=${SPXM_WEIGHTS}")
    if(SPXM_WEIGHTS STREQUAL "blob")
      # NAME.weights.S is assembled; enable_language() only works at the
      # caller's scope, so the project must have done it.
      get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
      if(NOT "ASM" IN_LIST languages)
        message(FATAL_ERROR "spx_add_model(${target}): WEIGHTS blob assembles ${name}.weights.S: "
                            "enable ASM first (project(... LANGUAGES C ASM) or enable_language(ASM))")
      endif()
      list(APPEND outputs "${dir}/${name}.weights.S" "${dir}/${name}.weights.bin")
      list(APPEND sources "${dir}/${name}.weights.S")
    endif()
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${spxc} ${args} ${SPXM_OPTIONS}
    DEPENDS "${src}" ${spxc}
    DEPFILE "${dir}/${name}.d"
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    COMMENT "spxc: compiling ${SPXM_SOURCE} into ${target}"
    VERBATIM)
  add_library(${target} STATIC ${sources} "${dir}/${name}.h")
  target_include_directories(${target} PUBLIC "${dir}")
  if(SPXM_WEIGHTS STREQUAL "blob")
    # .incbin "NAME.weights.bin": the assembler finds it on its include path;
    # the object is rebuilt when the image changes (no depfile names it).
    set_source_files_properties("${dir}/${name}.weights.S" PROPERTIES
      COMPILE_OPTIONS "-Wa,-I,${dir}" OBJECT_DEPENDS "${dir}/${name}.weights.bin")
  endif()
  target_link_libraries(${target} PUBLIC SPX::spxrt)
  set_target_properties(${target} PROPERTIES SPX_MODEL_NAME "${name}" SPX_MODEL_DIR "${dir}")
endfunction()
