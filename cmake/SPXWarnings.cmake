# SPX's warnings, on SPX's own code only (spx_add_warnings(target)). Read by
# the top-level project and by runtime/ configured on its own.
option(SPX_WERROR "Treat warnings in SPX code as errors" OFF)
set(SPX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wno-unused-parameter)
if(SPX_WERROR)
  list(APPEND SPX_WARNINGS -Werror)
endif()

function(spx_add_warnings target)
  target_compile_options(${target} PRIVATE ${SPX_WARNINGS})
endfunction()
