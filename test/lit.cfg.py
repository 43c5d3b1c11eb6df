# lit configuration for the SPX test suite.
import os
import shutil
import lit.formats

config.name = "SPX"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".spx", ".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.spx_obj_root, "test")

# Tools: ours first, then LLVM's FileCheck/not/mlir-opt.
config.environment["PATH"] = os.pathsep.join(
    [config.spx_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.environment["LC_ALL"] = "C"
# SPX_ISA=c|avx2|avx512 runs the whole suite on one path of the int8 kernels.
if "SPX_ISA" in os.environ:
    config.environment["SPX_ISA"] = os.environ["SPX_ISA"]
if config.spx_sanitize:
    config.environment["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    config.available_features.add("sanitize")

def tool(name):
    return os.path.join(config.spx_tools_dir, name)

config.substitutions.append(("%spxc", tool("spxc")))
config.substitutions.append(("%spx-run", tool("spx-run")))
config.substitutions.append(("%spx-objdump", tool("spx-objdump")))
config.substitutions.append(("%spx-unit", tool("spx-unit")))
config.substitutions.append(("%mlir-opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))
config.substitutions.append(("%irdl", os.path.join(config.spx_src_root, "ir", "spx.irdl.mlir")))
config.substitutions.append(("%examples", os.path.join(config.spx_src_root, "examples")))
config.substitutions.append(("%srcroot", config.spx_src_root))
# The runtime's public headers in the installed layout (<spx/...>), as
# generated C includes them.
config.substitutions.append(("%spxinc", os.path.join(config.spx_obj_root, "runtime", "include")))
config.substitutions.append(("%python", config.python))
# Tests that build generated C link libspxrt; in the sanitizer build that
# library is instrumented, so the generated code is built with the same
# sanitizers (which also checks it). gcc's and clang's ASan runtimes do not
# mix, so there %clang is the same compiler as %cc.
san = " -fsanitize=address,undefined -fno-sanitize-recover=undefined" if config.spx_sanitize else ""
config.substitutions.append(("%cc", config.c_compiler + san))
config.substitutions.append(("%clang", (config.c_compiler if config.spx_sanitize else "clang") + san))
config.substitutions.append(("%spxrt", os.path.join(config.spx_obj_root, "runtime", "libspxrt.a")))
config.substitutions.append(("%FileCheck", "FileCheck -enable-var-scope"))
# Headless chromium renders spx-report's HTML page (scripts/bootstrap.sh
# installs it; the tests that need it are UNSUPPORTED without it).
import shutil
_chromium = shutil.which("chromium", path=config.environment["PATH"])
if _chromium:
    config.available_features.add("chromium")
    config.substitutions.append(("%chromium", _chromium))

# Tests that build a product with CMake against an installed SPX (the build
# directory installed into the test's folder). The product is compiled as
# generated C is above (the same compiler, the sanitizers of this build).
config.substitutions.append(("%objroot", config.spx_obj_root))
config.substitutions.append(("%cmake-product",
    '%s -G "%s" -DCMAKE_MAKE_PROGRAM=%s -DCMAKE_C_COMPILER=%s -DCMAKE_C_FLAGS="%s"'
    ' -DCMAKE_EXE_LINKER_FLAGS="%s" -DCMAKE_BUILD_TYPE=Release' % (
        config.cmake, config.cmake_generator, config.make_program, config.c_compiler,
        san.strip(), san.strip())))
config.substitutions.append(("%cmake", config.cmake))

# Debian's gcc-arm-none-eabi (scripts/bootstrap.sh installs it): the runtime
# and generated C cross-compiled for Cortex-M4.
if shutil.which("arm-none-eabi-gcc"):
    config.available_features.add("arm-none-eabi")
config.substitutions.append(("%m4-toolchain", os.path.join(config.spx_src_root, "cmake", "toolchains",
                                                           "arm-none-eabi-cortex-m4.cmake")))

# The footprint bound of test/e2e/footprint-x86-64.test is for x86-64 gcc.
import platform
if platform.machine() in ("x86_64", "AMD64") and shutil.which("gcc") and shutil.which("size"):
    config.available_features.add("x86_64-gcc")
# Debian's gcc-aarch64-linux-gnu and qemu-user (scripts/bootstrap.sh
# installs them): the runtime and generated C cross-compiled for 64-bit Arm
# Linux and run under qemu-aarch64 (test/e2e/aarch64-qemu.test).
if shutil.which("aarch64-linux-gnu-gcc") and shutil.which("qemu-aarch64") and \
        os.path.isdir("/usr/aarch64-linux-gnu"):
    config.available_features.add("aarch64-qemu")
config.substitutions.append(("%aarch64-toolchain", os.path.join(
    config.spx_src_root, "cmake", "toolchains", "aarch64-linux-gnu.cmake")))
# The CPU's AVX2 / AVX-512 VNNI (Linux): generated C built with a runtime
# compiled for them (test/e2e/generated-c-isa-fixed.test).
try:
    _flags = set(open("/proc/cpuinfo").read().split())
except OSError:
    _flags = set()
if "avx2" in _flags:
    config.available_features.add("cpu-avx2")
if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"} <= _flags:
    config.available_features.add("cpu-avx512vnni")
