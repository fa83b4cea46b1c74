#include "models/tile/worker_pool.hpp"

#include <memory>

namespace imcvp {

WorkerPool::WorkerPool(unsigned threads) {
  if (threads < 1) threads = 1;
  m_errors.resize(threads);
  m_threads.reserve(threads - 1);
  for (unsigned w = 1; w < threads; ++w) m_threads.emplace_back([this, w] { loop(w); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = true;
  }
  m_start.notify_all();
  for (std::thread& t : m_threads) t.join();
}

unsigned WorkerPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

WorkerPool& WorkerPool::shared(unsigned threads) {
  static std::mutex mutex;
  static std::unique_ptr<WorkerPool> pool;
  std::lock_guard<std::mutex> lock(mutex);
  if (!pool || pool->size() < threads) {
    pool.reset();  // its threads end before the larger pool's start
    pool = std::make_unique<WorkerPool>(threads);
  }
  return *pool;
}

void WorkerPool::loop(unsigned worker) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(unsigned)>* job;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_start.wait(lock, [&] { return m_stop || m_generation != seen; });
      if (m_stop) return;
      seen = m_generation;
      if (!m_open) continue;  // the caller finished that run without us
      ++m_active;
      job = m_job;
    }
    std::exception_ptr error;
    try {
      (*job)(worker);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_errors[worker] = error;
      if (--m_active == 0 && !m_open) m_done.notify_one();
    }
  }
}

void WorkerPool::run(const std::function<void(unsigned)>& f) {
  std::lock_guard<std::mutex> serial(m_run);
  if (m_threads.empty()) {
    f(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_job = &f;
    m_open = true;
    ++m_generation;
  }
  m_start.notify_all();
  std::exception_ptr mine;
  try {
    f(0);
  } catch (...) {
    mine = std::current_exception();
  }
  std::unique_lock<std::mutex> lock(m_mutex);
  m_open = false;
  m_done.wait(lock, [&] { return m_active == 0; });
  m_job = nullptr;
  if (mine) {
    for (std::exception_ptr& x : m_errors) x = nullptr;
    std::rethrow_exception(mine);
  }
  for (std::exception_ptr& e : m_errors)
    if (e) {
      std::exception_ptr first = e;
      for (std::exception_ptr& x : m_errors) x = nullptr;
      std::rethrow_exception(first);
    }
}

}  // namespace imcvp
