// WorkerPool: a small persistent pool of host threads for the tile's
// functional window loop (TileParams::threads). run(f) calls f(0) on the
// calling thread and f(w), w = 1..size()-1, on each pool thread that is free
// to start before f(0) returns; it returns when every call made has
// returned. So f must be a share-the-work loop (claim a piece, do it, until
// none is left) that f(0) can finish alone: a pool thread the host does not
// schedule in time then costs nothing but its own piece. What the calls do
// and in which order must not change any result: the tile gives each window
// its own outputs and sums its events in window order.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace imcvp {

class WorkerPool {
 public:
  // `threads` workers in all (>= 1): threads - 1 host threads are started.
  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return unsigned(m_threads.size()) + 1; }
  // See above. An exception that escapes f is rethrown here (f(0)'s first,
  // then the lowest worker's) after every call made has ended.
  void run(const std::function<void(unsigned)>& f);

  // The host's hardware threads (at least 1).
  static unsigned hardware_threads();
  // The process's pool, of at least `threads` workers (made or grown here):
  // the tiles share it, so a chip of many tiles starts no more threads than
  // one. run() calls on it from several host threads take turns.
  static WorkerPool& shared(unsigned threads);

 private:
  void loop(unsigned worker);

  std::vector<std::thread> m_threads;
  std::mutex m_run;  // one run() at a time
  std::mutex m_mutex;
  std::condition_variable m_start, m_done;
  const std::function<void(unsigned)>* m_job = nullptr;
  uint64_t m_generation = 0;
  bool m_open = false;    // pool threads may still join the current run
  unsigned m_active = 0;  // pool threads inside f
  bool m_stop = false;
  std::vector<std::exception_ptr> m_errors;
};

}  // namespace imcvp
