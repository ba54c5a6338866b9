#include "vigil/tracker/system_metrics.h"

#include <dlfcn.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "log.h"
#include "vigil/tracker/errors.h"

namespace vigil::tracker {
namespace {

// The few NVML entry points used, resolved from libnvidia-ml.so.1 at run time. The types
// follow nvml.h (NVML API version 2); handles are opaque pointers.
struct Nvml {
  using Device = void*;
  struct Utilization {
    unsigned int gpu;
    unsigned int memory;
  };
  struct Memory {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
  };
  int (*init)() = nullptr;
  int (*shutdown)() = nullptr;
  int (*device_count)(unsigned int*) = nullptr;
  int (*device_by_index)(unsigned int, Device*) = nullptr;
  int (*utilization)(Device, Utilization*) = nullptr;
  int (*memory)(Device, Memory*) = nullptr;
  void* library = nullptr;
  std::vector<Device> devices;

  template <typename Fn>
  bool resolve(Fn& fn, const char* name) {
    fn = reinterpret_cast<Fn>(dlsym(library, name));
    return fn != nullptr;
  }

  // Loads NVML and lists the devices; false (and nothing loaded) without a usable driver.
  bool load() {
    library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return false;
    unsigned int count = 0;
    if (!resolve(init, "nvmlInit_v2") || !resolve(shutdown, "nvmlShutdown") ||
        !resolve(device_count, "nvmlDeviceGetCount_v2") ||
        !resolve(device_by_index, "nvmlDeviceGetHandleByIndex_v2") ||
        !resolve(utilization, "nvmlDeviceGetUtilizationRates") ||
        !resolve(memory, "nvmlDeviceGetMemoryInfo") || init() != 0) {
      dlclose(library);
      library = nullptr;
      return false;
    }
    if (device_count(&count) == 0) {
      for (unsigned int i = 0; i < count; ++i) {
        Device device = nullptr;
        if (device_by_index(i, &device) == 0) devices.push_back(device);
      }
    }
    return true;
  }

  ~Nvml() {
    if (library == nullptr) return;
    shutdown();
    dlclose(library);
  }
};

// User plus system CPU time of this process, in clock ticks (fields 14 and 15 of
// /proc/self/stat, after the parenthesised command name).
double process_cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0.0;
  std::size_t field = 2;  // the state, after ") "
  std::size_t pos = close + 2;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  while (pos < text.size() && field < 15) {
    const auto end = text.find(' ', pos);
    if (field == 13) utime = std::stoull(text.substr(pos, end - pos));
    if (field == 14) stime = std::stoull(text.substr(pos, end - pos));
    ++field;
    pos = end == std::string::npos ? text.size() : end + 1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  unsigned long long size = 0;
  unsigned long long resident = 0;
  in >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

nlohmann::json with_gpu(nlohmann::json context, std::size_t gpu) {
  context["gpu"] = gpu;
  return context;
}

}  // namespace

class SystemMetricsSampler::Impl {
 public:
  Impl(Run& run, SystemMetricsOptions options) : options_(std::move(options)) {
    if (options_.interval.count() <= 0) {
      throw InvalidArgument("SystemMetricsOptions::interval must be > 0, got " +
                            std::to_string(options_.interval.count()) + " ms");
    }
    if (!options_.context.is_object()) {
      throw InvalidArgument("SystemMetricsOptions::context: expected a JSON object, got " +
                            options_.context.dump());
    }
    cpu_ = run.metric("sys.cpu_percent", options_.context);
    rss_ = run.metric("sys.rss_bytes", options_.context);
    if (options_.gpu && nvml_.load()) {
      for (std::size_t i = 0; i < nvml_.devices.size(); ++i) {
        gpu_util_.push_back(run.metric("sys.gpu_util_percent", with_gpu(options_.context, i)));
        gpu_memory_.push_back(run.metric("sys.gpu_memory_bytes", with_gpu(options_.context, i)));
      }
    }
    last_cpu_ = process_cpu_seconds();
    last_wall_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] { loop(); });
  }

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void sample() {
    std::lock_guard<std::mutex> lock(sample_mu_);
    const double cpu = process_cpu_seconds();
    const auto wall = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(wall - last_wall_).count();
    const double percent = elapsed > 0.0 ? 100.0 * (cpu - last_cpu_) / elapsed : 0.0;
    last_cpu_ = cpu;
    last_wall_ = wall;
    cpu_.log(percent, step_);
    rss_.log(resident_bytes(), step_);
    for (std::size_t i = 0; i < gpu_util_.size(); ++i) {
      Nvml::Utilization utilization{};
      if (nvml_.utilization(nvml_.devices[i], &utilization) == 0) {
        gpu_util_[i].log(utilization.gpu, step_);
      }
      Nvml::Memory memory{};
      if (nvml_.memory(nvml_.devices[i], &memory) == 0) {
        gpu_memory_[i].log(static_cast<double>(memory.used), step_);
      }
    }
    ++step_;
  }

  int gpu_count() const { return static_cast<int>(gpu_util_.size()); }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      lock.unlock();
      try {
        sample();
      } catch (const std::exception& e) {  // a run that ended, a /proc oddity: keep training
        detail::logger()->warn("system metrics: sample failed: {}", e.what());
      }
      lock.lock();
      if (cv_.wait_for(lock, options_.interval, [&] { return stop_; })) return;
    }
  }

  const SystemMetricsOptions options_;
  Nvml nvml_;
  MetricHandle cpu_;
  MetricHandle rss_;
  std::vector<MetricHandle> gpu_util_;
  std::vector<MetricHandle> gpu_memory_;
  std::mutex sample_mu_;                             // serialises sample()
  double last_cpu_ = 0.0;                            // guarded by sample_mu_
  std::chrono::steady_clock::time_point last_wall_;  // guarded by sample_mu_
  std::int64_t step_ = 0;                            // guarded by sample_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

SystemMetricsSampler::SystemMetricsSampler(Run& run, SystemMetricsOptions options)
    : impl_(std::make_unique<Impl>(run, std::move(options))) {}

SystemMetricsSampler::~SystemMetricsSampler() noexcept = default;

void SystemMetricsSampler::sample_now() { impl_->sample(); }

int SystemMetricsSampler::gpu_count() const { return impl_->gpu_count(); }

}  // namespace vigil::tracker
