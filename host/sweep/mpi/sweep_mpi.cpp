// The MPI sweep runner (sweep_mpi.hpp): rank 0 schedules and journals, the other ranks compute.
#include "sweep_mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "netrl/core/error.hpp"
#include "sweep/session.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

namespace {

using nlohmann::json;

constexpr int kTagUnit = 1;
constexpr int kTagStop = 2;
constexpr int kTagResult = 3;

void check(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw BackendError(std::string("MPI: ") + call + " failed (error " + std::to_string(rc) + ")");
}

void send(const std::string& text, int dest, int tag) {
  check(MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, dest, tag, MPI_COMM_WORLD), "MPI_Send");
}

/// Waits for a message (any source, any tag) without spinning a core (MPI_Recv busy-polls in
/// OpenMPI, which starves the computing ranks of an oversubscribed node), then receives it.
/// `idle` runs between polls.
std::string receive(MPI_Status* status, const std::function<void()>& idle) {
  for (;;) {
    int flag = 0;
    check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, status), "MPI_Iprobe");
    if (flag) break;
    if (idle) idle();
    const timespec pause{0, 2000000};  // 2 ms
    nanosleep(&pause, nullptr);
  }
  int count = 0;
  check(MPI_Get_count(status, MPI_CHAR, &count), "MPI_Get_count");
  std::string text(static_cast<std::size_t>(count), '\0');
  check(MPI_Recv(text.data(), count, MPI_CHAR, status->MPI_SOURCE, status->MPI_TAG, MPI_COMM_WORLD, status),
        "MPI_Recv");
  return text;
}

/// Every rank must run the same sweep: rank 0's hash of it against each rank's own.
bool same_sweep_everywhere(const Spec& spec) {
  std::string mine = hash_id({{"sweep", spec.canonical}, {"base_source", spec.base_source}, {"batch", spec.batch}});
  std::string root = mine;
  check(MPI_Bcast(root.data(), static_cast<int>(root.size()), MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast");
  int differs = root != mine ? 1 : 0, any = 0;
  check(MPI_Allreduce(&differs, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  return any == 0;
}

int broadcast_flag(int flag) {
  check(MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD), "MPI_Bcast");
  return flag;
}

void worker(const Spec& spec, const Options& options) {
  const std::vector<Point> points = expand(spec);
  detail::Executor executor(spec, points, options.out);
  for (;;) {
    MPI_Status status;
    const std::string text = receive(&status, nullptr);
    if (status.MPI_TAG == kTagStop) return;
    detail::Unit unit;
    unit.points = json::parse(text).at("points").get<std::vector<std::size_t>>();
    std::vector<detail::Outcome> outcomes;
    try {
      outcomes = executor.run(unit, SolveHooks{});
    } catch (const std::exception& e) {
      outcomes.clear();
      for (std::size_t i : unit.points) outcomes.push_back({i, false, true, e.what()});
    }
    json reply = json::array();
    for (const auto& o : outcomes) reply.push_back({o.point, o.ok, o.converged, o.error});
    send(reply.dump(), 0, kTagResult);
  }
}

/// Rank 0. `started`: the set-up succeeded and the workers wait for units (they need a stop).
Report root(const Spec& spec, const Options& options, int ranks, bool* started) {
  std::vector<Point> points;
  std::unique_ptr<detail::Scheduler> scheduler;
  std::unique_ptr<detail::Session> session;
  try {
    points = expand(spec);
    scheduler = std::make_unique<detail::Scheduler>(spec, points);
    session = std::make_unique<detail::Session>(spec, options, points, scheduler->inputs());
    scheduler->mark_finished(session->finished());
  } catch (...) {
    broadcast_flag(0);
    throw;
  }
  broadcast_flag(1);
  *started = true;
  const std::size_t workers = static_cast<std::size_t>(ranks - 1);
  std::deque<int> idle;
  for (int r = 1; r < ranks; ++r) idle.push_back(r);
  std::map<int, detail::Unit> busy;
  auto update_current = [&] {
    std::size_t running = 0;
    for (const auto& [rank, unit] : busy) running += unit.points.size();
    session->set_current(std::to_string(busy.size()) + " unit(s) on " + std::to_string(workers) + " worker rank(s)",
                         running);
  };
  session->report(true);
  while (!scheduler->empty()) {
    std::vector<detail::Outcome> blocked;
    for (detail::Unit& unit : scheduler->take(idle.size(), workers, &blocked)) {
      const int rank = idle.front();
      idle.pop_front();
      send(json{{"points", unit.points}}.dump(), rank, kTagUnit);
      busy[rank] = std::move(unit);
    }
    for (const auto& o : blocked) {
      scheduler->settle(o);
      session->record(o);
    }
    if (busy.empty()) {
      if (blocked.empty() && !scheduler->empty()) throw Error("sweep: no point is ready but some are pending (internal error)");
      continue;
    }
    update_current();
    MPI_Status status;
    const std::string text = receive(&status, [&] { session->report(false); });
    if (status.MPI_TAG != kTagResult) throw BackendError("MPI: unexpected message from rank " + std::to_string(status.MPI_SOURCE));
    for (const json& o : json::parse(text)) {
      const detail::Outcome outcome{o.at(0).get<std::size_t>(), o.at(1).get<bool>(), o.at(2).get<bool>(),
                                    o.at(3).get<std::string>()};
      scheduler->settle(outcome);
      session->record(outcome);
    }
    busy.erase(status.MPI_SOURCE);
    idle.push_back(status.MPI_SOURCE);
    update_current();
    session->report(false);
  }
  return session->finish();
}

/// One GPU per rank on nodes with several: rank r of the node sees only GPU (r mod count) of the
/// devices listed in CUDA_VISIBLE_DEVICES (all the node's NVIDIA devices when unset). Set before
/// anything initialises CUDA; left alone with fewer than two devices.
void bind_gpu() {
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int local = 0;
  check(MPI_Comm_rank(node, &local), "MPI_Comm_rank");
  MPI_Comm_free(&node);
  std::vector<std::string> devices;
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible != nullptr && *visible != '\0') {
    std::string list = visible;
    for (std::size_t pos = 0; pos <= list.size();) {
      const std::size_t comma = std::min(list.find(',', pos), list.size());
      if (comma > pos) devices.push_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
  } else {
    // The NVIDIA driver lists one entry per GPU here (read without initialising CUDA).
    std::error_code ec;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it("/proc/driver/nvidia/gpus", ec), end; !ec && it != end; it.increment(ec)) ++count;
    for (std::size_t d = 0; d < count; ++d) devices.push_back(std::to_string(d));
  }
  if (devices.size() < 2) return;
  ::setenv("CUDA_VISIBLE_DEVICES", devices[static_cast<std::size_t>(local) % devices.size()].c_str(), 1);
}

struct MpiSession {
  MpiSession() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  ~MpiSession() { MPI_Finalize(); }
};

}  // namespace

MpiRun run_mpi(const Spec& spec, const Options& options) {
  MpiSession mpi;
  int rank = 0, size = 1;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  bind_gpu();
  MpiRun out;
  out.root = rank == 0;
  if (!same_sweep_everywhere(spec)) {
    if (rank == 0) throw InvalidInput("sweep", "the MPI ranks read different sweep files (or different base files)");
    out.status = 1;
    return out;
  }
  if (size == 1) {
    out.report = run(spec, options);
    return out;
  }
  if (rank == 0) {
    bool started = false;
    try {
      out.report = root(spec, options, size, &started);
    } catch (...) {
      if (started)
        for (int r = 1; r < size; ++r) send("", r, kTagStop);
      throw;
    }
    for (int r = 1; r < size; ++r) send("", r, kTagStop);
    return out;
  }
  if (broadcast_flag(0) == 0) {
    out.status = 1;  // rank 0 reports the error
    return out;
  }
  worker(spec, options);
  return out;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
