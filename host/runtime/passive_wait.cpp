// Passive OpenMP waiting by default, for executables.
//
// With OpenMP's default (spinning) wait policy, threads that finish a parallel region spin for a
// while before they sleep. On a machine whose cores are shared with other busy processes, the
// spinning threads take time slices from the threads still working, and the host backend runs
// several times slower (an n = 16 count solve: 7.4x slower beside two busy processes; a 10^4-state
// MDP solve: 4 s instead of 0.2 s at load 10). With OMP_WAIT_POLICY=passive idle threads sleep at
// once, and the loss is small.
//
// libgomp reads OMP_WAIT_POLICY once, in its constructor, before main() runs, from the
// environment the process started with: a setenv() in the executable's .preinit_array (which runs
// before the constructors of the shared libraries) is not seen, because the C library sets
// `environ` to the original environment only after it (the variable set there was lost, and the
// tool kept spinning). So when the environment lacks the variable, the function below, which runs
// in the .preinit_array before any other code, starts the same executable again
// (/proc/self/exe, same arguments) with OMP_WAIT_POLICY=passive added: one exec, about a
// millisecond. A value the user set is left alone; without /proc it carries on unchanged. Only
// executables may have a .preinit_array: this file is linked into netrl's executables (and into
// any executable that links the netrl::passive_wait target), never into a library.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace {

constexpr char kSetting[] = "OMP_WAIT_POLICY=passive";

void netrl_default_passive_wait(int, char** argv, char** envp) {
  if (envp == nullptr || argv == nullptr) return;
  std::size_t count = 0;
  for (; envp[count] != nullptr; ++count) {
    if (std::strncmp(envp[count], "OMP_WAIT_POLICY=", 16) == 0) return;  // the user's choice
  }
  char** env = static_cast<char**>(std::malloc((count + 2) * sizeof(char*)));
  if (env == nullptr) return;
  std::memcpy(env, envp, count * sizeof(char*));
  env[count] = const_cast<char*>(kSetting);
  env[count + 1] = nullptr;
  ::execve("/proc/self/exe", argv, env);
  std::free(env);  // execve failed (no /proc): carry on with the default policy
}

}  // namespace

extern "C" {
__attribute__((section(".preinit_array"), used)) void (*const netrl_passive_wait_preinit)(int, char**, char**) =
    &netrl_default_passive_wait;
}
