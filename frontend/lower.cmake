# Included by frontend/CMakeLists.txt: the last step of the frontend, which
# builds MLIR, so spx_frontend links the IR helpers (and through them MLIR).
target_sources(spx_frontend PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/lower.c)
target_link_libraries(spx_frontend PUBLIC spx_ir)
