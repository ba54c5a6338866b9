#include "compliance_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "ci_output.h"
#include "compliance.h"
#include "output.h"
#include "vigil/rules/storage.h"

namespace vigil::cli {
namespace {

constexpr std::size_t kWorstRuns = 10;

std::string day_of(tracker::Timestamp t) { return tracker::format_time(t).substr(0, 10); }

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// The report of a record; another tool's record gives its verdict and score only.
rules::Report report_of(const tracker::ValidationRecord& record) {
  try {
    return rules::report_from_record(record);
  } catch (const std::exception&) {
    rules::Report report;
    report.verdict = record.verdict == "PASS" ? rules::Verdict::kPass : rules::Verdict::kFail;
    report.score = record.score;
    report.rules_name = record.rules_name;
    report.rules_hash = record.rules_hash;
    return report;
  }
}

// Totals, days, histogram and counted violations per rule, counted as the dashboard's
// Governance page counts them (ui::ComplianceSummary).
void fill_counts(ComplianceData& data, const ui::ComplianceSummary& summary) {
  data.validated = summary.total().validated;
  data.passed = summary.total().passed;
  data.mean_score = summary.total().mean_score();
  for (const auto& [start, tally] : summary.over_time()) {
    data.days.push_back({day_of(start), tally.validated, tally.passed, tally.score_sum});
  }
  data.score_histogram = summary.histogram();
  for (const auto& rule : summary.rules()) {
    const int counted = rule.count(ui::ViolationOutcome::kCounted);
    if (counted > 0) data.violations_per_rule.emplace_back(rule.rule_id, counted);
  }
}

}  // namespace

ComplianceData gather_compliance(const tracker::Store& store,
                                 const std::vector<tracker::RunInfo>& runs, std::string scope) {
  ComplianceData data;
  data.title = "vigil compliance report";
  data.scope = std::move(scope);
  data.generated_at = tracker::now();
  data.runs = static_cast<int>(runs.size());
  ui::ComplianceSummary summary(ui::Bucket::kDay);
  std::vector<ReportedRun> reported;
  const auto latest = ui::latest_validations(store, runs);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!latest[i]) continue;
    const tracker::RunInfo& run = runs[i];
    summary.add(run, *latest[i]);
    ReportedRun item{run, report_of(*latest[i])};
    ++data.policy_runs[item.report.rules_hash];
    reported.push_back(std::move(item));
  }
  fill_counts(data, summary);
  std::stable_sort(reported.begin(), reported.end(),
                   [](const auto& a, const auto& b) { return a.report.score < b.report.score; });
  for (auto& item : reported) {
    if (data.worst.size() >= kWorstRuns) break;
    if (item.report.passed() && item.report.score >= 100.0) break;  // sorted: the rest is clean
    data.worst.push_back(std::move(item));
  }
  tracker::WaiverQuery in_force;
  in_force.in_force_at = data.generated_at;
  data.waivers = store.waivers(in_force);
  for (const auto& [hash, count] : data.policy_runs) {
    if (auto policy = store.policy(hash)) {
      data.policies.push_back(std::move(*policy));
    } else {
      data.policies.push_back(
          {hash, "(not kept: validated before vigil stored policies)", "", "", 0.0});
    }
  }
  return data;
}

namespace {

// --- SVG charts ------------------------------------------------------------------------------

constexpr int kChartWidth = 640;
constexpr int kChartHeight = 220;
constexpr int kMargin = 36;

// Compliance over time: PASS rate (green) and mean score (blue) per day, both 0-100.
void svg_over_time(std::ostream& out, const std::vector<ComplianceDay>& days) {
  out << "<svg class=\"chart\" role=\"img\" aria-label=\"PASS rate and mean score per day\" "
         "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
      << kChartWidth << ' ' << kChartHeight << "\">\n";
  const int w = kChartWidth - 2 * kMargin;
  const int h = kChartHeight - 2 * kMargin;
  for (int tick = 0; tick <= 100; tick += 25) {
    const int y = kMargin + h - h * tick / 100;
    out << "<line x1=\"" << kMargin << "\" x2=\"" << kMargin + w << "\" y1=\"" << y << "\" y2=\""
        << y << "\" class=\"grid\"/><text x=\"" << kMargin - 6 << "\" y=\"" << y + 4
        << "\" class=\"axis\" text-anchor=\"end\">" << tick << "</text>\n";
  }
  auto x_of = [&](std::size_t i) {
    return days.size() <= 1 ? kMargin + w / 2
                            : kMargin + static_cast<int>(w * i / (days.size() - 1));
  };
  auto series = [&](const char* css, auto value) {
    out << "<polyline class=\"" << css << "\" fill=\"none\" points=\"";
    for (std::size_t i = 0; i < days.size(); ++i) {
      out << x_of(i) << ',' << fixed(kMargin + h - h * value(days[i]) / 100.0, 1) << ' ';
    }
    out << "\"/>\n";
    for (std::size_t i = 0; i < days.size(); ++i) {
      out << "<circle class=\"" << css << "\" r=\"3\" cx=\"" << x_of(i) << "\" cy=\""
          << fixed(kMargin + h - h * value(days[i]) / 100.0, 1) << "\"><title>"
          << xml_escape(days[i].date) << ": " << fixed(value(days[i]), 1) << "</title></circle>\n";
    }
  };
  series("pass", [](const ComplianceDay& d) { return d.pass_rate(); });
  series("score", [](const ComplianceDay& d) { return d.mean_score(); });
  if (!days.empty()) {
    out << "<text class=\"axis\" x=\"" << kMargin << "\" y=\"" << kChartHeight - 10 << "\">"
        << xml_escape(days.front().date) << "</text><text class=\"axis\" text-anchor=\"end\" x=\""
        << kMargin + w << "\" y=\"" << kChartHeight - 10 << "\">" << xml_escape(days.back().date)
        << "</text>\n";
  }
  out << "</svg>\n";
}

// Vertical bars: labels under them, counts above.
void svg_bars(std::ostream& out, const std::vector<std::pair<std::string, int>>& bars,
              const char* label) {
  out << "<svg class=\"chart\" role=\"img\" aria-label=\"" << label
      << "\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " << kChartWidth << ' '
      << kChartHeight << "\">\n";
  int top = 1;
  for (const auto& bar : bars) top = std::max(top, bar.second);
  const int w = kChartWidth - 2 * kMargin;
  const int h = kChartHeight - 2 * kMargin;
  const int slot = bars.empty() ? w : w / static_cast<int>(bars.size());
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const int height = h * bars[i].second / top;
    const int x = kMargin + static_cast<int>(i) * slot;
    out << "<rect class=\"bar\" x=\"" << x + slot / 8 << "\" y=\"" << kMargin + h - height
        << "\" width=\"" << std::max(1, slot * 3 / 4) << "\" height=\"" << height << "\"><title>"
        << xml_escape(bars[i].first) << ": " << bars[i].second << "</title></rect>\n"
        << "<text class=\"axis\" text-anchor=\"middle\" x=\"" << x + slot / 2 << "\" y=\""
        << kMargin + h - height - 4 << "\">" << bars[i].second << "</text>\n"
        << "<text class=\"axis\" text-anchor=\"middle\" x=\"" << x + slot / 2 << "\" y=\""
        << kChartHeight - 14 << "\">" << xml_escape(bars[i].first.substr(0, 18)) << "</text>\n";
  }
  out << "</svg>\n";
}

std::vector<std::pair<std::string, int>> histogram_bars(const ComplianceData& data) {
  std::vector<std::pair<std::string, int>> bars;
  for (int i = 0; i < 10; ++i) {
    bars.emplace_back(std::to_string(i * 10) + (i == 9 ? "-100" : "-" + std::to_string(i * 10 + 9)),
                      data.score_histogram[static_cast<std::size_t>(i)]);
  }
  return bars;
}

// --- HTML ------------------------------------------------------------------------------------

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#1d2433;padding:0 1rem}
h1{margin-bottom:.2rem}.muted{color:#667085}
.tiles{display:flex;gap:1rem;flex-wrap:wrap;margin:1.5rem 0}
.tile{border:1px solid #d0d5dd;border-radius:8px;padding:.8rem 1.2rem;min-width:9rem}
.tile b{display:block;font-size:1.8rem}
.chart{width:100%;max-width:640px;height:auto;border:1px solid #eaecf0;border-radius:8px;background:#fff}
.grid{stroke:#eaecf0}.axis{font-size:11px;fill:#667085}
polyline.pass{stroke:#12b76a;stroke-width:2}circle.pass{fill:#12b76a}
polyline.score{stroke:#2e90fa;stroke-width:2}circle.score{fill:#2e90fa}
.bar{fill:#7a5af8}.legend span{margin-right:1rem}.sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #eaecf0;padding:.35rem .5rem;text-align:left;vertical-align:top}
.PASS{color:#067647;font-weight:600}.FAIL{color:#b42318;font-weight:600}
.scorebar{display:inline-block;width:6rem;height:.6rem;background:#eaecf0;border-radius:3px;vertical-align:middle;margin-right:.4rem}
.scorebar i{display:block;height:100%;border-radius:3px}
ul.v{margin:.2rem 0;padding-left:1.2rem}.waived{color:#667085}
)css";

std::string score_bar(double score) {
  const char* color = score >= 80 ? "#12b76a" : score >= 50 ? "#f79009" : "#f04438";
  return "<span class=\"scorebar\"><i style=\"width:" + fixed(std::clamp(score, 0.0, 100.0), 0) +
         "%;background:" + color + "\"></i></span>" + format_score(score);
}

void html_summary(std::ostream& out, const ComplianceData& d) {
  const double rate = d.validated == 0 ? 0.0 : 100.0 * d.passed / d.validated;
  out << "<div class=\"tiles\">"
      << "<div class=\"tile\"><span class=\"muted\">runs</span><b id=\"runs\">" << d.runs
      << "</b></div><div class=\"tile\"><span class=\"muted\">validated</span><b>" << d.validated
      << "</b></div><div class=\"tile\"><span class=\"muted\">PASS rate</span><b id=\"pass-rate\">"
      << fixed(rate, 1) << "%</b></div><div class=\"tile\"><span class=\"muted\">mean "
      << "score</span><b id=\"mean-score\">" << fixed(d.mean_score, 1)
      << "</b></div><div class=\"tile\"><span class=\"muted\">waivers in force</span><b>"
      << d.waivers.size() << "</b></div></div>\n";
}

void html_worst(std::ostream& out, const ComplianceData& d) {
  out << "<h2>Worst runs</h2>\n";
  if (d.worst.empty()) {
    out << "<p class=\"muted\">Every run passed with score 100.</p>\n";
    return;
  }
  out << "<table id=\"worst\"><tr><th>Run</th><th>Experiment</th><th>Verdict</th><th>Score</th>"
         "<th>Violations</th></tr>\n";
  for (const auto& item : d.worst) {
    const std::string verdict(rules::to_string(item.report.verdict));
    out << "<tr><td>" << xml_escape(run_label(item.run)) << "</td><td>"
        << xml_escape(item.run.experiment) << "</td><td class=\"" << verdict << "\">" << verdict
        << "</td><td>" << score_bar(item.report.score) << "</td><td><ul class=\"v\">";
    for (const auto& v : item.report.violations) {
      out << "<li" << (v.counts() ? "" : " class=\"waived\"") << "><b>" << xml_escape(v.rule_id)
          << "</b> (" << rules::to_string(v.severity) << "): " << xml_escape(v.message);
      if (v.waiver) out << " <em>waived: " << xml_escape(v.waiver->reason) << "</em>";
      if (v.mode == rules::RuleMode::kAudit) out << " <em>audit only</em>";
      out << "</li>";
    }
    out << "</ul></td></tr>\n";
  }
  out << "</table>\n";
}

void html_waivers_and_policies(std::ostream& out, const ComplianceData& d) {
  out << "<h2>Waivers in force</h2>\n";
  if (d.waivers.empty()) {
    out << "<p class=\"muted\">None.</p>\n";
  } else {
    out << "<table id=\"waivers\"><tr><th>#</th><th>Target</th><th>Rule</th><th>Owner</th>"
           "<th>Until</th><th>Reason</th></tr>\n";
    for (const auto& w : d.waivers) {
      out << "<tr><td>" << w.id << "</td><td>"
          << xml_escape(w.run_id.empty() ? "experiment " + w.experiment
                                         : "run " + w.run_id.substr(0, 8))
          << "</td><td>" << xml_escape(w.rule_id) << "</td><td>" << xml_escape(w.owner)
          << "</td><td>" << (w.until ? tracker::format_time(*w.until) : "until revoked")
          << "</td><td>" << xml_escape(w.reason) << "</td></tr>\n";
    }
    out << "</table>\n";
  }
  out << "<h2>Policies used</h2>\n<table id=\"policies\"><tr><th>Policy</th><th>Version</th>"
         "<th>Hash</th><th>Runs judged</th></tr>\n";
  for (const auto& p : d.policies) {
    out << "<tr><td>" << xml_escape(p.name) << "</td><td>" << xml_escape(p.version)
        << "</td><td><code>" << xml_escape(p.hash) << "</code></td><td>" << d.policy_runs.at(p.hash)
        << "</td></tr>\n";
  }
  out << "</table>\n";
}

}  // namespace

void write_html_report(std::ostream& out, const ComplianceData& d) {
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; img-src data:\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
      << xml_escape(d.title) << "</title>\n<style>" << kStyle << "</style></head><body>\n"
      << "<h1>" << xml_escape(d.title) << "</h1>\n<p class=\"muted\">" << xml_escape(d.scope)
      << " &middot; generated " << tracker::format_time(d.generated_at) << "</p>\n";
  html_summary(out, d);
  out << "<h2>Compliance over time</h2>\n<p class=\"legend\"><span><i class=\"sw\" "
         "style=\"background:#12b76a\"></i>PASS rate %</span><span><i class=\"sw\" "
         "style=\"background:#2e90fa\"></i>mean score</span> per day of run creation (UTC)</p>\n";
  svg_over_time(out, d.days);
  out << "<h2>Score distribution</h2>\n";
  svg_bars(out, histogram_bars(d), "runs per score range");
  out << "<h2>Violations per rule</h2>\n";
  if (d.violations_per_rule.empty()) {
    out << "<p class=\"muted\">No counted violations.</p>\n";
  } else {
    svg_bars(out, d.violations_per_rule, "counted violations per rule");
  }
  html_worst(out, d);
  html_waivers_and_policies(out, d);
  out << "</body></html>\n";
}

void write_markdown_report(std::ostream& out, const ComplianceData& d) {
  const double rate = d.validated == 0 ? 0.0 : 100.0 * d.passed / d.validated;
  out << "# " << markdown_escape(d.title) << "\n\n"
      << markdown_escape(d.scope) << ", generated " << tracker::format_time(d.generated_at)
      << "\n\n"
      << "| runs | validated | PASS rate | mean score | waivers in force "
         "|\n|---:|---:|---:|---:|---:|\n"
      << "| " << d.runs << " | " << d.validated << " | " << fixed(rate, 1) << "% | "
      << fixed(d.mean_score, 1) << " | " << d.waivers.size() << " |\n\n"
      << "## Compliance over time\n\n| day | validated | PASS rate | mean score "
         "|\n|---|---:|---:|---:|\n";
  for (const auto& day : d.days) {
    out << "| " << day.date << " | " << day.validated << " | " << fixed(day.pass_rate(), 1)
        << "% | " << fixed(day.mean_score(), 1) << " |\n";
  }
  out << "\n## Score distribution\n\n| score | runs |\n|---|---:|\n";
  for (const auto& [range, count] : histogram_bars(d))
    out << "| " << range << " | " << count << " |\n";
  out << "\n## Violations per rule\n\n| rule | violations |\n|---|---:|\n";
  for (const auto& [rule, count] : d.violations_per_rule) {
    out << "| " << markdown_escape(rule) << " | " << count << " |\n";
  }
  out << "\n## Worst runs\n\n";
  for (const auto& item : d.worst) {
    out << "- **" << markdown_escape(run_label(item.run)) << "** ("
        << markdown_escape(item.run.experiment) << "): " << rules::to_string(item.report.verdict)
        << ", score " << format_score(item.report.score) << "\n";
    for (const auto& v : item.report.violations) {
      out << "  - " << markdown_escape(v.rule_id + ": " + v.message)
          << (v.waiver ? " *(waived: " + markdown_escape(v.waiver->reason) + ")*" : "")
          << (v.mode == rules::RuleMode::kAudit ? " *(audit only)*" : "") << "\n";
    }
  }
  out << "\n## Waivers in force\n\n| # | target | rule | owner | until | reason "
         "|\n|---:|---|---|---|---|---|\n";
  for (const auto& w : d.waivers) {
    out << "| " << w.id << " | "
        << markdown_escape(w.run_id.empty() ? "experiment " + w.experiment
                                            : "run " + w.run_id.substr(0, 8))
        << " | " << markdown_escape(w.rule_id) << " | " << markdown_escape(w.owner) << " | "
        << (w.until ? tracker::format_time(*w.until) : "until revoked") << " | "
        << markdown_escape(w.reason) << " |\n";
  }
  out << "\n## Policies used\n\n| policy | version | hash | runs judged |\n|---|---|---|---:|\n";
  for (const auto& p : d.policies) {
    out << "| " << markdown_escape(p.name) << " | " << markdown_escape(p.version) << " | `"
        << p.hash << "` | " << d.policy_runs.at(p.hash) << " |\n";
  }
}

}  // namespace vigil::cli
