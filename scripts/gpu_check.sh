#!/usr/bin/env bash
# The one prepared check for a CUDA machine: builds vigil's LibTorch plugin, its tests and
# vigil-mnist against the machine's PyTorch/LibTorch (not Debian's libtorch-dev), runs the plugin
# tests, then a short `vigil-mnist --device cuda` run, and checks the stored run, including the
# system metrics the NVML sampler recorded for the GPU (sys.gpu_util_percent{gpu=0},
# sys.gpu_memory_bytes{gpu=0}).
#
#   scripts/gpu_check.sh            from the repository root (or anywhere: it cds there)
#
# Needs on that machine: python3 with a CUDA build of torch, cmake >= 3.21, a C++17 compiler,
# the CUDA toolkit (TorchConfig of a CUDA build looks for it) and vigil's other build
# dependencies (SQLite3, nlohmann_json, spdlog, GTest, CLI11, zlib). Missing ones are listed
# before anything is built. Set VIGIL_DEPS_PREFIX to a prefix holding those dependencies when
# they are not installed system-wide. Data: Fashion-MNIST when /usr/share/datasets/fashion-mnist
# exists, else a small synthetic IDX set written here (the machine has no network).
#
# Writes everything it prints to $OUT/gpu_check.log when OUT is set, else build-gpu/gpu_check.log.
# Exit status: 0 when every step passed, else the status of the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-gpu
mkdir -p "$build"
log="${OUT:+$OUT/gpu_check.log}"
log="${log:-$build/gpu_check.log}"
: >"$log"
exec > >(tee -a "$log") 2>&1

step() { printf '\n== %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
die() {
  echo "gpu_check: $*" >&2
  exit 1
}

step "environment"
command -v python3 >/dev/null || die "python3 not found; expected python3 with torch"
command -v cmake >/dev/null || die "cmake not found; expected cmake >= 3.21"
python3 - <<'PY' || die "torch is missing or has no CUDA device (see above)"
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda,
      "cxx11 abi", torch._C._GLIBCXX_USE_CXX11_ABI)
assert torch.cuda.is_available(), "torch.cuda.is_available() is False"
print("device", torch.cuda.get_device_name(0))
PY
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
cxx11_abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
nvidia-smi -L 2>/dev/null || true
if ! command -v nvcc >/dev/null && [[ -z "${CUDAToolkit_ROOT:-}" && ! -x /usr/local/cuda/bin/nvcc ]]; then
  die "no CUDA toolkit (nvcc) found; a CUDA build of LibTorch needs it to be found by CMake" \
    "(set CUDAToolkit_ROOT or put nvcc on PATH)"
fi
[[ -x /usr/local/cuda/bin/nvcc ]] && export PATH="/usr/local/cuda/bin:$PATH"

# The whole build uses the C++ ABI LibTorch was built with (wheels before 2.7 use the old one);
# C++ libraries vigil links (spdlog, GTest) must then have been built with the same ABI.
cxx_flags="-D_GLIBCXX_USE_CXX11_ABI=$cxx11_abi"
prefix_path="$torch_prefix${VIGIL_DEPS_PREFIX:+;$VIGIL_DEPS_PREFIX}"

step "configure against $torch_prefix"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$prefix_path" -DCMAKE_CXX_FLAGS="$cxx_flags" \
  -DVIGIL_WITH_TORCH=ON -DVIGIL_BUILD_TESTS=ON -DVIGIL_BUILD_CLI=OFF -DVIGIL_BUILD_BENCH=OFF \
  -DVIGIL_WARNINGS_AS_ERRORS=ON ||
  die "configure failed: see the missing package above (install it or set VIGIL_DEPS_PREFIX)"

step "build the plugin, its tests and vigil-mnist"
jobs=$(nproc 2>/dev/null || echo 4)
cmake --build "$build" -j "$jobs" --target vigil_plugin vigil_plugin_tracking_test \
  vigil_plugin_guard_test vigil_plugin_run_main_test vigil-mnist vigil_mnist_test

step "plugin tests (LibTorch $(python3 -c 'import torch; print(torch.__version__)'))"
(cd "$build" && ctest -R '^(TrackingCallbackTest|GuardCallbackTest|RunMain|MnistExample)\.' \
  --output-on-failure --timeout 600)

step "data for vigil-mnist --device cuda"
data=/usr/share/datasets/fashion-mnist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ ! -e "$data/train-images-idx3-ubyte" && ! -e "$data/train-images-idx3-ubyte.gz" ]]; then
  data="$work/data"
  python3 - "$data" <<'PY'
# A learnable 10-class problem in IDX format: class c lights up rows 2c..2c+3 of 28x28 images.
import os, random, struct, sys
out = sys.argv[1]
os.makedirs(out)
def write(prefix, count, seed):
    rnd = random.Random(seed)
    images, labels = bytearray(), bytearray()
    for i in range(count):
        label = i % 10
        labels.append(label)
        for r in range(28):
            lit = 2 * label <= r < 2 * label + 4
            images.extend((200 + rnd.randint(0, 55)) if lit else rnd.randint(0, 60)
                          for _ in range(28))
    with open(os.path.join(out, prefix + "-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, count, 28, 28) + images)
    with open(os.path.join(out, prefix + "-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 0x801, count) + labels)
write("train", 2000, 1)
write("t10k", 500, 2)
PY
fi
echo "data: $data"

step "vigil-mnist --device cuda"
store="$work/gpu.db"
"$build/examples/mnist/vigil-mnist" --device cuda --epochs 2 --limit 2000 --batch-size 64 \
  --data-dir "$data" --store "$store" --name gpu-check-run --experiment gpu-check \
  --system-metrics 1

step "the stored run"
python3 - "$store" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
status, params, results = db.execute("SELECT status, params, results FROM runs").fetchone()
params, results = json.loads(params), json.loads(results)
loss_points = db.execute("SELECT count FROM series WHERE name = 'loss' AND context = '{}'")\
    .fetchone()[0]
print("status", status, "device", params["device"], "libtorch", params["libtorch_version"],
      "steps", results["steps"], "loss points", loss_points,
      "final_accuracy", results.get("final_accuracy"))
assert status == "finished", status
assert params["device"].startswith("cuda"), params["device"]
assert loss_points == results["steps"], "one loss point per step"
PY

step "system metrics through NVML (dlopen of libnvidia-ml.so.1)"
python3 - "$store" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {(name, context): (count, last, mx) for name, context, count, last, mx in db.execute(
    "SELECT name, context, count, last, max FROM series WHERE name LIKE 'sys.%'")}
for key, value in sorted(rows.items()):
    print(key, "count %d last %s max %s" % value)
gpu = '{"gpu":0}'
assert ("sys.gpu_util_percent", gpu) in rows, "no GPU utilisation series: NVML not loaded?"
assert ("sys.gpu_memory_bytes", gpu) in rows, "no GPU memory series"
assert rows[("sys.gpu_memory_bytes", gpu)][2] > 0, "the training process held no GPU memory"
assert 0 <= rows[("sys.gpu_util_percent", gpu)][2] <= 100
assert rows[("sys.rss_bytes", "{}")][1] > 0 and ("sys.cpu_percent", "{}") in rows
PY

step "gpu_check: all passed"
