import Synchronization

/// Group commit: ingest batches that arrive while a transaction is being written wait and go
/// into the next transaction together — one durable commit (one fsync) for many callers'
/// batches, each still answered with its own results. Batches are applied in the order they
/// were submitted, so a later batch sees an earlier one's observations as duplicates.
final class WriteCoalescer: Sendable {
  typealias Results = [SeriesWriteResult]
  private struct Waiting {
    var writes: [SeriesWrite]
    var promise: Promise<Results>
  }
  private struct State {
    var queue: [Waiting] = []
    var writing = false
  }
  private let state = Mutex(State())
  private let store: any AnalyticsStore
  /// Observations per transaction at most (a bigger single batch still goes alone).
  let maximumObservations: Int

  init(store: any AnalyticsStore, maximumObservations: Int = 200_000) {
    self.store = store
    self.maximumObservations = maximumObservations
  }

  /// Queues the batch — synchronously, so batches go in the order submitted — and returns
  /// the promise of its results, kept once the batch is durable.
  func submit(_ writes: [SeriesWrite]) -> Promise<Results> {
    let promise = Promise<Results>()
    let lead = state.withLock { state -> Bool in
      state.queue.append(Waiting(writes: writes, promise: promise))
      if state.writing { return false }
      state.writing = true
      return true
    }
    // The first batch to find no writer starts one; it writes until the queue is empty.
    if lead { Task { await self.drain() } }
    return promise
  }

  /// Writes queued batches, transaction by transaction, until none are left.
  private func drain() async {
    while true {
      let group = state.withLock { state -> [Waiting] in
        var taken: [Waiting] = []
        var observations = 0
        while let next = state.queue.first {
          let size = next.writes.reduce(0) { $0 + $1.columns.count }
          if !taken.isEmpty && observations + size > maximumObservations { break }
          taken.append(state.queue.removeFirst())
          observations += size
        }
        if taken.isEmpty { state.writing = false }
        return taken
      }
      if group.isEmpty { return }
      do {
        let results = try await store.write(group.flatMap(\.writes))
        var offset = 0
        for waiting in group {
          waiting.promise.keep(.success(Array(results[offset..<(offset + waiting.writes.count)])))
          offset += waiting.writes.count
        }
      } catch {
        for waiting in group { waiting.promise.keep(.failure(error)) }
      }
    }
  }
}

/// A result that arrives later, awaited by any number of tasks.
final class Promise<Value: Sendable>: Sendable {
  private struct State {
    var result: Result<Value, any Error>?
    var waiters: [CheckedContinuation<Value, any Error>] = []
  }
  private let state = Mutex(State())

  func keep(_ result: Result<Value, any Error>) {
    let waiters = state.withLock { state in
      state.result = result
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(with: result) }
  }

  var value: Value {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let result = state.withLock { state -> Result<Value, any Error>? in
          if state.result == nil { state.waiters.append(continuation) }
          return state.result
        }
        if let result { continuation.resume(with: result) }
      }
    }
  }
}
