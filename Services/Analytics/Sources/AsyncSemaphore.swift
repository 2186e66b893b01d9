import Synchronization

/// A counting semaphore for tasks: `acquire` suspends while no permit is left. Bounds how many
/// ingest batches of one call are in flight between reading and acknowledging (in analytics,
/// and in the gateway passing a call's batches on to several partitions).
public final class AsyncSemaphore: Sendable {
  private struct State {
    var permits: Int
    var closed = false
    var waiters: [CheckedContinuation<Bool, Never>] = []
  }
  private let state: Mutex<State>

  public init(permits: Int) { state = Mutex(State(permits: permits)) }

  /// Takes a permit; false once the semaphore is closed.
  public func acquire() async -> Bool {
    await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
      let answer = state.withLock { state -> Bool? in
        if state.closed { return false }
        if state.permits > 0 {
          state.permits -= 1
          return true
        }
        state.waiters.append(continuation)
        return nil
      }
      if let answer { continuation.resume(returning: answer) }
    }
  }

  /// Wakes every waiter with false; later acquires return false at once.
  public func close() {
    let waiters = state.withLock { state in
      state.closed = true
      defer { state.waiters.removeAll() }
      return state.waiters
    }
    for waiter in waiters { waiter.resume(returning: false) }
  }

  public func release() {
    let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
      if state.waiters.isEmpty {
        state.permits += 1
        return nil
      }
      return state.waiters.removeFirst()
    }
    waiter?.resume(returning: true)
  }
}
