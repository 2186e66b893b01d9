import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The connections of an `RPCChannel`: a subchannel per target address (times
/// `connectionsPerTarget`), each with at most one live connection. Picks round-robin among
/// ready ones, connects lazily (every subchannel at the first call), then keeps every
/// subchannel connected as gRPC's round-robin does: a connection that received GOAWAY or
/// closed is replaced at once, a failed attempt is retried when its backoff ends — whether or
/// not calls are waiting, so balance comes back after a server restarted. A call refused by
/// one connection is retried on another when there is one (waiting for those still
/// connecting) rather than on the one that refused it.
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
    /// Failed attempts since a connection last lasted `stableAfter`.
    var failures = 0
    var connectedAt: NIODeadline? = nil
  }

  /// A connection that ends sooner after connecting counts as a failed attempt, so a server
  /// that accepts and at once says GOAWAY is reconnected to with backoff, not in a loop.
  static let stableAfter = TimeAmount.seconds(1)

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
  /// The group's event loops: subchannel i connects on loop i (mod their number), so that
  /// `connectionsPerTarget` equal to the number of loops gives each loop its connection.
  private let loops: [any EventLoop]
  private let logger: Logger

  init(configuration: RPCChannel.Configuration, group: any EventLoopGroup, logger: Logger) {
    var subchannels: [Subchannel] = []
    for _ in 0..<max(1, configuration.connectionsPerTarget) {
      for t in configuration.targets { subchannels.append(Subchannel(host: t.host, port: t.port)) }
    }
    self.state = Mutex(State(subchannels: subchannels))
    self.configuration = configuration
    self.group = group
    self.loops = Array(group.makeIterator())
    self.logger = logger
  }

  private enum Decision {
    case use(ClientConnection)
    case wait(connect: [Int], generation: Int)
    case backoff(until: NIODeadline, lastError: String)
    case closed
  }

  /// A ready connection, round-robin, if there is one (the common case, without suspending);
  /// not `avoiding` (the connection that refused a call's last attempt).
  func pickReady(avoiding: ClientConnection? = nil) -> ClientConnection? {
    state.withLock { s in s.closed ? nil : Self.takeReady(&s, avoiding: avoiding) }
  }

  /// Whether a connection is ready to take a call now.
  var hasReadyConnection: Bool {
    state.withLock { s in
      !s.closed
        && s.subchannels.contains { sub in
          if case .ready(let c) = sub.state { return c.isAvailable }
          return false
        }
    }
  }

  /// The next ready connection but `avoiding`, advancing the cursor: one on the caller's own
  /// event loop when the caller runs on one and there is such a connection (a relay's
  /// handler then calls and is answered without a thread hop), else round-robin.
  private static func takeReady(
    _ s: inout State, avoiding: ClientConnection?
  ) -> ClientConnection? {
    let n = s.subchannels.count
    if n > 1, MultiThreadedEventLoopGroup.currentEventLoop != nil {
      for i in 0..<n {
        let index = (s.next + i) % n
        if case .ready(let c) = s.subchannels[index].state, c.isAvailable, c !== avoiding,
          c.eventLoop.inEventLoop
        {
          s.next = index + 1
          return c
        }
      }
    }
    for i in 0..<n {
      let index = (s.next + i) % n
      if case .ready(let c) = s.subchannels[index].state, c.isAvailable, c !== avoiding {
        s.next = index + 1
        return c
      }
    }
    return nil
  }

  /// A ready connection, connecting first if none is. One other than `avoiding` if another
  /// subchannel is ready or connecting; `avoiding` itself only when it is the only one left.
  func pick(
    deadline: NIODeadline?, avoiding: ClientConnection? = nil
  ) async throws -> ClientConnection {
    while true {
      let decision: Decision = state.withLock { s in
        if s.closed { return .closed }
        if let c = Self.takeReady(&s, avoiding: avoiding) { return .use(c) }
        let n = s.subchannels.count
        let now = NIODeadline.now()  // only without a ready connection
        var connect: [Int] = []
        var connecting = false
        var earliest: NIODeadline? = nil
        var lastError = ""
        var avoided: ClientConnection? = nil
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
          case .ready(let c):
            if c === avoiding { avoided = c }
          }
        }
        if !connect.isEmpty || connecting {
          return .wait(connect: connect, generation: s.generation)
        }
        if let avoided { return .use(avoided) }
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
        // Never sent: the call is unprocessed (a balancer above may try another replica).
        if let deadline, until > deadline {
          throw ClientConnectionHandler.unprocessed(
            "no connection to \(targetsDescription): \(lastError)")
        }
        if !configuration.waitForReady {
          throw ClientConnectionHandler.unprocessed(
            "no connection to \(targetsDescription): \(lastError)")
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
    let loop = loops.isEmpty ? group.next() : loops[index % loops.count]
    // The connection attempt is driven by NIO; no Swift task outlives it.
    let promise = loop.makePromise(of: ClientConnection.self)
    promise.completeWithTask {
      try await ClientConnection.connect(
        host: host, port: port, configuration: configuration, group: loop, logger: logger
      ) { [weak self] connection in
        self?.connectionUnavailable(connection, index: index)
      }
    }
    promise.futureResult.whenComplete { result in
      // A connection made after the pool closed is closed outside the lock: closing it may
      // tell this pool at once that it is unavailable, which takes the lock again.
      let (waiters, orphan) = self.state.withLock {
        s -> ([CheckedContinuation<Void, Never>], ClientConnection?) in
        var orphan: ClientConnection? = nil
        switch result {
        case .success(let connection):
          if s.closed {
            orphan = connection
          } else {
            s.subchannels[index].state = .ready(connection)
            s.subchannels[index].connectedAt = .now()
          }
        case .failure(let error):
          s.subchannels[index].failures += 1
          let attempts = s.subchannels[index].failures
          let delay = configuration.backoff.delay(attempt: attempts)
          s.subchannels[index].state = .backoff(
            until: .now() + delay, attempts: attempts, lastError: "\(error)")
          logger.debug("connect to \(host):\(port) failed: \(error); retry in \(delay)")
          // Retried when the backoff ends even if no call asks (others may be ready).
          group.next().scheduleTask(in: delay) { [weak self] in self?.reconnect(index) }
        }
        s.generation += 1
        defer { s.waiters.removeAll() }
        return (s.waiters, orphan)
      }
      orphan?.close()
      for w in waiters { w.resume() }
    }
  }

  private func connectionUnavailable(_ connection: ClientConnection, index: Int) {
    // A connection that got GOAWAY closes itself once its calls are done; its subchannel
    // connects again at once (the server may be back, or another behind the same address),
    // or after a backoff if the connection did not last.
    let delay: TimeAmount? = state.withLock { s in
      guard case .ready(let c) = s.subchannels[index].state, c === connection else { return nil }
      let now = NIODeadline.now()
      if let since = s.subchannels[index].connectedAt, now - since >= Self.stableAfter {
        s.subchannels[index].failures = 0
        s.subchannels[index].state = .idle
        return .zero
      }
      s.subchannels[index].failures += 1
      let attempts = s.subchannels[index].failures
      let delay = configuration.backoff.delay(attempt: attempts)
      s.subchannels[index].state = .backoff(
        until: now + delay, attempts: attempts, lastError: "connection ended at once")
      return delay
    }
    guard let delay else { return }
    if delay == .zero {
      reconnect(index)
    } else {
      group.next().scheduleTask(in: delay) { [weak self] in self?.reconnect(index) }
    }
  }

  /// Connects subchannel `index` if it is idle or its backoff has ended (not otherwise: a
  /// pick may have started it already).
  private func reconnect(_ index: Int) {
    let start = state.withLock { s -> Bool in
      guard !s.closed else { return false }
      switch s.subchannels[index].state {
      case .idle:
        break
      case .backoff(let until, _, _) where until <= .now():
        break
      case .backoff, .connecting, .ready:
        return false
      }
      s.subchannels[index].state = .connecting
      return true
    }
    if start { startConnecting(index) }
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
