// Passive OpenMP waiting by default, for executables.
//
// With OpenMP's default (spinning) wait policy, threads that finish a parallel region spin for a
// while before they sleep. On a machine whose cores are shared with other busy processes, the
// spinning threads take time slices from the threads still working, and the host backend runs
// several times slower (an n = 16 count solve: 7.4x slower beside two busy processes). With
// OMP_WAIT_POLICY=passive idle threads sleep at once, and the loss is small.
//
// libgomp reads OMP_WAIT_POLICY once, in its constructor, before main() runs. A function in the
// executable's .preinit_array runs before the constructors of the shared libraries, so it can set
// the variable in time; it leaves a value the user set alone. Only executables may have a
// .preinit_array: this file is linked into netrl's executables (and into any executable that links
// the netrl::passive_wait target), never into a library.
#include <cstdlib>

namespace {

void netrl_default_passive_wait(int, char**, char**) { ::setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/0); }

}  // namespace

extern "C" {
__attribute__((section(".preinit_array"), used)) void (*const netrl_passive_wait_preinit)(int, char**, char**) =
    &netrl_default_passive_wait;
}
