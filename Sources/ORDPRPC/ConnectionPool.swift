import Logging
import NIOCore
import Synchronization

/// The connections of an `RPCChannel`: a subchannel per target address (times
/// `connectionsPerTarget`), each with at most one live connection. Picks round-robin among
/// ready ones, connects lazily, reconnects with backoff after failures, replaces connections
/// that received GOAWAY.
final class ConnectionPool: Sendable {
  enum SubchannelState {
    case idle
    case connecting
    case ready(ClientConnection)
    case backoff(until: NIODeadline, attempts: Int, lastError: String)
  }

  struct Subchannel {
    var host: String
    var port: Int
    var state: SubchannelState = .idle
    var failures = 0
  }

  private struct State {
    var subchannels: [Subchannel]
    var next = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
    var generation = 0
    var closed = false
  }

  private let state: Mutex<State>
  private let configuration: RPCChannel.Configuration
  private let group: any EventLoopGroup
  private let logger: Logger

  init(configuration: RPCChannel.Configuration, group: any EventLoopGroup, logger: Logger) {
    var subchannels: [Subchannel] = []
    for _ in 0..<max(1, configuration.connectionsPerTarget) {
      for t in configuration.targets { subchannels.append(Subchannel(host: t.host, port: t.port)) }
    }
    self.state = Mutex(State(subchannels: subchannels))
    self.configuration = configuration
    self.group = group
    self.logger = logger
  }

  private enum Decision {
    case use(ClientConnection)
    case wait(connect: [Int], generation: Int)
    case backoff(until: NIODeadline, lastError: String)
    case closed
  }

  /// A ready connection, round-robin, if there is one (the common case, without suspending).
  func pickReady() -> ClientConnection? {
    state.withLock { s in s.closed ? nil : Self.takeReady(&s) }
  }

  /// The next ready connection round-robin, advancing the cursor.
  private static func takeReady(_ s: inout State) -> ClientConnection? {
    let n = s.subchannels.count
    for i in 0..<n {
      let index = (s.next + i) % n
      if case .ready(let c) = s.subchannels[index].state, c.isAvailable {
        s.next = index + 1
        return c
      }
    }
    return nil
  }

  /// A ready connection, connecting first if none is.
  func pick(deadline: NIODeadline?) async throws -> ClientConnection {
    while true {
      let decision: Decision = state.withLock { s in
        if s.closed { return .closed }
        if let c = Self.takeReady(&s) { return .use(c) }
        let n = s.subchannels.count
        let now = NIODeadline.now()  // only without a ready connection
        var connect: [Int] = []
        var connecting = false
        var earliest: NIODeadline? = nil
        var lastError = ""
        for index in 0..<n {
          switch s.subchannels[index].state {
          case .idle:
            s.subchannels[index].state = .connecting
            connect.append(index)
          case .ready(let c) where !c.isAvailable:
            s.subchannels[index].state = .connecting
            connect.append(index)
          case .backoff(let until, _, let error) where until <= now:
            s.subchannels[index].state = .connecting
            connect.append(index)
            lastError = error
          case .backoff(let until, _, let error):
            earliest = min(earliest ?? until, until)
            lastError = error
          case .connecting:
            connecting = true
          case .ready:
            break
          }
        }
        if !connect.isEmpty || connecting {
          return .wait(connect: connect, generation: s.generation)
        }
        return .backoff(until: earliest ?? now, lastError: lastError)
      }
      switch decision {
      case .use(let connection):
        return connection
      case .closed:
        throw RPCError(.unavailable, "channel is closed")
      case .wait(let indices, let generation):
        for index in indices { startConnecting(index) }
        await waitForChange(since: generation)
      case .backoff(let until, let lastError):
        if let deadline, until > deadline {
          throw RPCError(.unavailable, "no connection to \(targetsDescription): \(lastError)")
        }
        if !configuration.waitForReady {
          throw RPCError(.unavailable, "no connection to \(targetsDescription): \(lastError)")
        }
        try await Task.sleep(nanoseconds: UInt64(max(0, (until - .now()).nanoseconds)))
      }
    }
  }

  private var targetsDescription: String {
    configuration.targets.map { "\($0.host):\($0.port)" }.joined(separator: ", ")
  }

  private func startConnecting(_ index: Int) {
    let (host, port) = state.withLock { ($0.subchannels[index].host, $0.subchannels[index].port) }
    let configuration = self.configuration
    let group = self.group
    let logger = self.logger
    // The connection attempt is driven by NIO; no Swift task outlives it.
    let promise = group.next().makePromise(of: ClientConnection.self)
    promise.completeWithTask {
      try await ClientConnection.connect(
        host: host, port: port, configuration: configuration, group: group, logger: logger
      ) { [weak self] connection in
        self?.connectionUnavailable(connection, index: index)
      }
    }
    promise.futureResult.whenComplete { result in
      let waiters: [CheckedContinuation<Void, Never>] = self.state.withLock { s in
        switch result {
        case .success(let connection):
          if s.closed {
            connection.close()
          } else {
            s.subchannels[index].state = .ready(connection)
            s.subchannels[index].failures = 0
          }
        case .failure(let error):
          s.subchannels[index].failures += 1
          let attempts = s.subchannels[index].failures
          let delay = configuration.backoff.delay(attempt: attempts)
          s.subchannels[index].state = .backoff(
            until: .now() + delay, attempts: attempts, lastError: "\(error)")
          logger.debug("connect to \(host):\(port) failed: \(error); retry in \(delay)")
        }
        s.generation += 1
        defer { s.waiters.removeAll() }
        return s.waiters
      }
      for w in waiters { w.resume() }
    }
  }

  private func connectionUnavailable(_ connection: ClientConnection, index: Int) {
    state.withLock { s in
      if case .ready(let c) = s.subchannels[index].state, c === connection {
        s.subchannels[index].state = .idle
      }
    }
    // A connection that got GOAWAY closes itself once its calls are done.
  }

  private func waitForChange(since generation: Int) async {
    await withCheckedContinuation { c in
      let changed = state.withLock { s in
        if s.generation != generation || s.closed { return true }
        s.waiters.append(c)
        return false
      }
      if changed { c.resume() }
    }
  }

  func close() {
    let (connections, waiters) = state.withLock { s in
      s.closed = true
      defer { s.waiters.removeAll() }
      let ready = s.subchannels.compactMap { sub -> ClientConnection? in
        if case .ready(let c) = sub.state { return c } else { return nil }
      }
      return (ready, s.waiters)
    }
    for c in connections { c.close() }
    for w in waiters { w.resume() }
  }
}
