// End-to-end tests of `vigil export`, through the real binary.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_fixture.h"

namespace vigil::testing {
namespace {

using ExportCommand = CliTest;

TEST_F(ExportCommand, CsvHasOneRowPerPointInLongFormat) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"export"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> rows = lines(result.out);
  ASSERT_EQ(rows.size(), 1u + 10 + 3 + 3 + 2);  // header, baseline loss+acc, high-lr, cifar
  EXPECT_EQ(rows[0], "run_id,run_name,experiment,metric,context,step,epoch,value,time");
  int nan_rows = 0;
  int val_rows = 0;
  for (const std::string& row : rows) {
    if (row.find(",NaN,") != std::string::npos) {
      ++nan_rows;
      EXPECT_EQ(row.rfind(ids.high_lr + ",high-lr,mnist,loss,,2,,NaN,", 0), 0u) << row;
    }
    if (row.find(",accuracy,subset=val,") != std::string::npos) ++val_rows;
  }
  EXPECT_EQ(nan_rows, 1);
  EXPECT_EQ(val_rows, 3);
  EXPECT_NE(result.out.find(ids.baseline + ",baseline,mnist,accuracy,subset=val,30,2,0.9,"),
            std::string::npos);
  EXPECT_NE(result.out.find(ids.baseline + ",baseline,mnist,loss,,9,,0.1,"), std::string::npos);
  EXPECT_NE(result.out.find("\"resnet, \"\"big\"\"\",cifar,loss,,1,,2.5,"), std::string::npos);
}

TEST_F(ExportCommand, JsonIsArrayOfPointObjects) {
  SeededRuns ids = seed_store();
  ProcessResult result = vigil({"export", "--format", "json", "--experiment", "mnist"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json points = parse_json(result.out);
  ASSERT_TRUE(points.is_array());
  ASSERT_EQ(points.size(), 10u + 3 + 3);
  int nan_values = 0;
  for (const nlohmann::json& point : points) {
    for (const char* key : {"run_id", "run_name", "experiment", "metric", "context", "step",
                            "epoch", "value", "time"}) {
      EXPECT_TRUE(point.contains(key)) << key;
    }
    EXPECT_EQ(point.at("experiment"), "mnist");
    if (point.at("value") == "NaN") ++nan_values;
    if (point.at("metric") == "accuracy") {
      EXPECT_EQ(point.at("context"), nlohmann::json({{"subset", "val"}}));
      EXPECT_TRUE(point.at("epoch").is_number_integer());
    } else {
      EXPECT_EQ(point.at("context"), nlohmann::json::object());
      EXPECT_TRUE(point.at("epoch").is_null());
    }
    // ISO-8601 UTC time that the tracker parses back.
    EXPECT_NO_THROW(tracker::parse_time(point.at("time").get<std::string>()));
  }
  EXPECT_EQ(nan_values, 1);
  EXPECT_EQ(points[0].at("run_id"), ids.high_lr);  // newest run first, then step order
}

TEST_F(ExportCommand, MetricSelectsSeriesByNameOrQualifiedName) {
  SeededRuns ids = seed_store();
  ProcessResult by_name = vigil({"export", "--metric", "accuracy"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(lines(by_name.out).size(), 1u + 3);
  ProcessResult qualified = vigil(
      {"export", "--metric", "accuracy{subset=val}", "--metric", "loss", "--name", "baseline"});
  ASSERT_EQ(qualified.exit_code, 0) << qualified.err;
  EXPECT_EQ(lines(qualified.out).size(), 1u + 3 + 10);
  ProcessResult unknown = vigil({"export", "--metric", "los"});
  EXPECT_EQ(unknown.exit_code, 0);
  EXPECT_EQ(lines(unknown.out).size(), 1u);
  EXPECT_NE(unknown.err.find("'los' matched no series"), std::string::npos) << unknown.err;
}

TEST_F(ExportCommand, RunFiltersApplyIncludingWhereMetric) {
  seed_store();
  ProcessResult result = vigil({"export", "--where-metric", "loss < 0.5", "--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  nlohmann::json points = parse_json(result.out);
  ASSERT_EQ(points.size(), 13u);
  for (const auto& point : points) EXPECT_EQ(point.at("run_name"), "baseline");
  ProcessResult none = vigil({"export", "--format", "json", "--tag", "nope"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(parse_json(none.out), nlohmann::json::array());
}

TEST_F(ExportCommand, OutputFileGetsTheExport) {
  seed_store();
  std::string path = dir_.file("points.csv");
  ProcessResult result = vigil({"export", "--output", path, "--status", "failed"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("exported 2 points of 1 runs"), std::string::npos) << result.err;
  std::vector<std::string> rows = lines(read_file(path));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].find(",loss,,0,,3,"), std::string::npos) << rows[1];
}

TEST_F(ExportCommand, FailedExportLeavesExistingOutputAlone) {
  seed_store();
  std::string path = dir_.file("keep.csv");
  {
    std::ofstream file(path);
    file << "precious\n";
  }
  expect_error(vigil({"export", "--output", path, "--param", "lr ~ 3"}), 2, "lr ~ 3");
  expect_error(vigil({"export", "--output", path, "--metric", "loss{subset"}), 2, "loss{subset");
  EXPECT_EQ(read_file(path), "precious\n");
  expect_error(vigil({"export", "--output", dir_.file("missing/dir/out.csv")}), 1,
               "missing/dir/out.csv");
}

TEST_F(ExportCommand, OutputThroughSymlinkWritesTargetAndKeepsLink) {
  seed_store();
  std::string target = dir_.file("target.csv");
  std::string link = dir_.file("link.csv");
  std::ofstream(target) << "old\n";
  std::filesystem::create_symlink(target, link);
  ProcessResult result = vigil({"export", "-o", link, "--status", "failed"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(lines(read_file(target)).size(), 3u);
}

TEST_F(ExportCommand, BadFormatIsUsageError) {
  seed_store();
  expect_error(vigil({"export", "--format", "table"}), 2, "table");
}

}  // namespace
}  // namespace vigil::testing
