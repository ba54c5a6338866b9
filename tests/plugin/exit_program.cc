// A training program written exactly the way README.md shows (run_main, no try/catch), for
// the end-to-end tests of exit codes in run_main_test.cc.
//
//   vigil-plugin-exit-program STORE SCENARIO
//
// Scenarios, all a small linear regression without epoch hooks under the default policy:
//   finish   trains 30 steps                    -> 0
//   refused  learning rate 0.5                  -> 3 (RunRejected)
//   nan      the loss becomes NaN at step 5     -> 4 (RunAborted)
//   throw    the loop throws at step 5          -> 1 (stored failed with the message)
#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>
#include <vigil/plugin.h>

int main(int argc, char** argv) {
  const std::string store = argc > 1 ? argv[1] : "";
  const std::string scenario = argc > 2 ? argv[2] : "finish";
  return vigil::plugin::run_main([&] {
    torch::manual_seed(0);
    torch::nn::Linear model(3, 1);
    torch::optim::SGD optimizer(model->parameters(),
                                torch::optim::SGDOptions(scenario == "refused" ? 0.5 : 0.05));
    const auto x = torch::randn({64, 3});
    const auto y = x.matmul(torch::tensor({1.0f, -2.0f, 0.5f})).unsqueeze(1);

    vigil::plugin::Session vigil(vigil::plugin::TrackingOptions("exit-codes")
                                     .run_name("regression-" + scenario)
                                     .store(store));
    auto& cb = vigil.callbacks();
    cb.on_train_begin(*model, optimizer);  // logs params; throws RunRejected on a bad config
    for (int step = 0; step < 30; ++step) {
      if (scenario == "throw" && step == 5) throw std::runtime_error("data loader exploded");
      optimizer.zero_grad();
      auto loss = torch::mse_loss(model->forward(x), y);
      if (scenario == "nan" && step == 5) loss = loss * NAN;
      loss.backward();
      cb.on_batch_end(loss);  // throws RunAborted on NaN (default policy)
      optimizer.step();
    }
    cb.on_train_end();  // results, verdict and score stored
  });
}
