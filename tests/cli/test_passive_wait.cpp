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

/// The runtime reports the policy `policy` (libomp: its name; libgomp: the spin count it implies).
void expect_policy(const std::string& environment, const std::string& gomp_spincount, const std::string& policy) {
  const std::string report = runtime_report(environment);
  const bool libgomp = report.find("GOMP_SPINCOUNT") != std::string::npos;
  const std::string expected = libgomp ? "GOMP_SPINCOUNT = '" + gomp_spincount + "'" : "OMP_WAIT_POLICY='" + policy + "'";
  EXPECT_NE(report.find(expected), std::string::npos) << "expected " << expected << " in:\n" << report;
}

TEST(PassiveWait, IsTheToolsDefault) { expect_policy("", "0", "PASSIVE"); }

TEST(PassiveWait, LeavesTheUsersChoiceAlone) { expect_policy("OMP_WAIT_POLICY=active", "30000000000", "ACTIVE"); }

}  // namespace
}  // namespace netrl::test
