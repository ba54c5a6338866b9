// A user program built against an installed vigil: records a run and reads it back.
#include <vigil/tracker.h>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  vigil::tracker::Store store(argv[1]);
  vigil::tracker::RunOptions options;
  options.name = "consumer";
  auto run = store.start_run(options);
  run.log_metric("loss", 0.5, 1);
  run.finish();
  auto runs = store.list_runs();
  if (runs.size() != 1 || runs[0].metrics.size() != 1 || runs[0].metrics[0].last != 0.5) {
    std::fprintf(stderr, "consumer: unexpected store contents\n");
    return 1;
  }
  std::printf("consumer: ok, run %s\n", runs[0].id.c_str());
  return 0;
}
