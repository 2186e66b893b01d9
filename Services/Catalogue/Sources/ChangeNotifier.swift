import Synchronization

/// Wakes change-feed followers when this process commits a change.
final class ChangeNotifier: Sendable {
  private enum Waiter {
    case waiting(CheckedContinuation<Void, Never>)
    /// Timed out before the continuation was registered.
    case abandoned
  }

  private let waiters = Mutex<[Int: Waiter]>([:])
  private let nextID = Atomic<Int>(0)

  /// Returns after the next `notify()` or after `timeout`, whichever comes first.
  func wait(timeout: Duration) async {
    let id = nextID.add(1, ordering: .relaxed).newValue
    await withTaskGroup(of: Bool.self) { group in
      group.addTask {
        await withCheckedContinuation { continuation in
          let abandoned = self.waiters.withLock { waiters -> Bool in
            if case .abandoned = waiters[id] {
              waiters.removeValue(forKey: id)
              return true
            }
            waiters[id] = .waiting(continuation)
            return false
          }
          if abandoned { continuation.resume() }
        }
        return true
      }
      group.addTask {
        try? await Task.sleep(for: timeout)
        return false
      }
      let notified = await group.next() ?? false
      group.cancelAll()
      if notified { return }
      let waiting = self.waiters.withLock { waiters -> CheckedContinuation<Void, Never>? in
        switch waiters[id] {
        case .waiting(let continuation):
          waiters.removeValue(forKey: id)
          return continuation
        case .abandoned, nil:
          waiters[id] = .abandoned
          return nil
        }
      }
      waiting?.resume()
    }
  }

  func notify() {
    let woken = waiters.withLock { waiters -> [CheckedContinuation<Void, Never>] in
      var woken: [CheckedContinuation<Void, Never>] = []
      for (id, waiter) in waiters {
        if case .waiting(let continuation) = waiter {
          woken.append(continuation)
          waiters.removeValue(forKey: id)
        }
      }
      return woken
    }
    for continuation in woken { continuation.resume() }
  }
}
