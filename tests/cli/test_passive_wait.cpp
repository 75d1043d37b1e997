// The netrl tool's default OpenMP wait policy (host/runtime/passive_wait.cpp): passive unless the
// environment sets OMP_WAIT_POLICY, read back from the OpenMP runtime's own report of its settings
// (OMP_DISPLAY_ENV=verbose). With libgomp the policy shows as the spin count before a thread
// sleeps: 0 when passive, 300000 when unset, 3e10 when active (its "OMP_WAIT_POLICY" line reads
// PASSIVE for unset too, so it cannot tell them apart); libomp prints the policy itself.
#include <gtest/gtest.h>

#include <string>

#include "cli_support.hpp"

namespace netrl::test {
namespace {

std::string runtime_report(const std::string& environment) {
  const auto log = fresh_dir("netrl_passive_wait_", "log", false);
  const CliRun r = run_cli_logged("env -u OMP_WAIT_POLICY " + environment + " OMP_DISPLAY_ENV=verbose " NETRL_CLI,
                                  "solve --scenario count8", log);
  EXPECT_EQ(r.status, 0) << r.output;
  return r.output;
}

bool uses_libgomp(const std::string& report) { return report.find("GOMP_SPINCOUNT") != std::string::npos; }

TEST(PassiveWait, IsTheToolsDefault) {
  const std::string report = runtime_report("");
  if (uses_libgomp(report)) {
    EXPECT_NE(report.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << report;
  } else {
    EXPECT_NE(report.find("OMP_WAIT_POLICY='PASSIVE'"), std::string::npos) << report;
  }
}

TEST(PassiveWait, LeavesTheUsersChoiceAlone) {
  const std::string report = runtime_report("OMP_WAIT_POLICY=active");
  if (uses_libgomp(report)) {
    EXPECT_NE(report.find("GOMP_SPINCOUNT = '30000000000'"), std::string::npos) << report;
  } else {
    EXPECT_NE(report.find("OMP_WAIT_POLICY='ACTIVE'"), std::string::npos) << report;
  }
}

}  // namespace
}  // namespace netrl::test
