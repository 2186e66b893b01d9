import NIOCore
import Synchronization

/// Hands messages from the event loop to one async consumer. The producer never blocks:
/// ORDP/1 flow control bounds how much can be buffered. Consumption is reported back through
/// `onConsumed` so the connection can grant window credit.
@usableFromInline
final class InboundMessageQueue: Sendable {
  private struct State {
    var buffer: [ByteBuffer] = []
    var head = 0
    var end: Result<Void, any Error>?
    var waiter: CheckedContinuation<ByteBuffer?, any Error>?
  }

  private let state = Mutex(State())
  private let onConsumed: @Sendable (Int) -> Void

  init(onConsumed: @escaping @Sendable (Int) -> Void) {
    self.onConsumed = onConsumed
  }

  /// Producer: a message arrived.
  func push(_ message: ByteBuffer) {
    let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { s in
      if s.end != nil { return nil }
      if let w = s.waiter {
        s.waiter = nil
        return w
      }
      s.buffer.append(message)
      return nil
    }
    if let waiter {
      onConsumed(message.readableBytes)
      waiter.resume(returning: message)
    }
  }

  /// Producer: no more messages; `error` fails the consumer after the buffered messages.
  func finish(throwing error: (any Error)? = nil) {
    let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { s in
      guard s.end == nil else { return nil }
      s.end = error.map { .failure($0) } ?? .success(())
      defer { s.waiter = nil }
      return s.waiter
    }
    if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
  }

  /// Producer: fail at once, dropping buffered messages (cancellation, connection loss).
  /// No effect once the stream has ended.
  func fail(_ error: any Error) {
    let waiter: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { s in
      guard s.end == nil else { return nil }
      s.buffer.removeAll()
      s.head = 0
      s.end = .failure(error)
      defer { s.waiter = nil }
      return s.waiter
    }
    waiter?.resume(throwing: error)
  }

  /// Consumer: the next message, nil at the end.
  func next() async throws -> ByteBuffer? {
    if let ready = try takeBuffered() { return ready.message }
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (c: CheckedContinuation<ByteBuffer?, any Error>) in
        let immediate: Result<ByteBuffer?, any Error>? = state.withLock { s in
          if s.head < s.buffer.count {
            let m = s.buffer[s.head]
            s.head += 1
            return .success(m)
          }
          if let end = s.end {
            switch end {
            case .success: return .success(nil)
            case .failure(let e): return .failure(e)
            }
          }
          if Task.isCancelled { return .failure(CancellationError()) }
          s.waiter = c
          return nil
        }
        if let immediate {
          if case .success(let m?) = immediate { onConsumed(m.readableBytes) }
          c.resume(with: immediate)
        }
      }
    } onCancel: {
      let w: CheckedContinuation<ByteBuffer?, any Error>? = state.withLock { s in
        defer { s.waiter = nil }
        return s.waiter
      }
      w?.resume(throwing: CancellationError())
    }
  }

  private func takeBuffered() throws -> (message: ByteBuffer?, Void)? {
    let r: Result<ByteBuffer?, any Error>? = state.withLock { s in
      if s.head < s.buffer.count {
        let m = s.buffer[s.head]
        s.head += 1
        if s.head == s.buffer.count {
          s.buffer.removeAll(keepingCapacity: true)
          s.head = 0
        }
        return .success(m)
      }
      switch s.end {
      case .success?: return .success(nil)
      case .failure(let e)?: return .failure(e)
      case nil: return nil
      }
    }
    guard let r else { return nil }
    let m = try r.get()
    if let m { onConsumed(m.readableBytes) }
    return (m, ())
  }
}
