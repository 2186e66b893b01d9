public import Logging
public import NIOCore
public import ORDPRPC
import Synchronization

/// The replicas of one backend service, as the gateway reaches them: a channel per replica
/// (mutual TLS, pooled connections, reconnect with backoff), a health watch per replica, and
/// the balancing decisions (`ReplicaBalancer`, `RetryBudget`) under one lock. `call` runs one
/// call on a partition: picks a replica (least outstanding of two random choices), counts it
/// outstanding, reports the outcome, and tries another replica when the call was refused
/// (never processed) or, for idempotent reads that have sent nothing back yet, failed with
/// UNAVAILABLE — within the retry budget. `apply` takes a reloaded topology.
public final class BackendPool: Sendable {
  public typealias Key = RPCChannel.Target

  /// What one call needs to know about its attempts.
  public final class Attempt: Sendable {
    private let sentResponse = Atomic<Bool>(false)
    private let replicas = Mutex<[Key]>([])
    /// The replicas this call was tried on, in order.
    var triedOn: [Key] { replicas.withLock { $0 } }
    func tried(_ key: Key) { replicas.withLock { $0.append(key) } }
    public init() {}

    /// The call passed a response on to its caller: it can no longer be tried elsewhere.
    public func committed() { sentResponse.store(true, ordering: .relaxed) }
    var isCommitted: Bool { sentResponse.load(ordering: .relaxed) }
  }

  public struct Options: Sendable {
    public var security: ClientSecurity
    /// One per event loop thread: each loop passes its calls on over its own connection.
    public var connectionsPerReplica = min(16, System.coreCount)
    public var policy = BalancingPolicy()
    public var retryPercent = 20
    public var retryMinimumConcurrency = 3
    /// Attempts of one call at most (the first and its retries).
    public var maximumAttempts = 3
    /// Pause before a failed health watch is opened again.
    public var healthRetry: TimeAmount = .milliseconds(500)

    public init(security: ClientSecurity) { self.security = security }
  }

  private struct State {
    var partitions: [Topology.Partition]
    var balancer: ReplicaBalancer<Key>
    var budget: RetryBudget
    var channels: [Key: RPCChannel] = [:]
    /// Replicas no partition names any more, closed once their calls end.
    var retired: [Key: RPCChannel] = [:]
    var watch: AsyncStream<Key>.Continuation? = nil
    var closed = false
  }

  public let backend: Backend
  /// Where the datastreams of this service live (analytics over partitions: ingest and
  /// selections by stream id).
  let streamOwners = StreamOwners()
  /// The health service name its replicas report (`ordp.catalogue.v1.Catalogue`).
  public let healthName: String
  let options: Options
  private let state: Mutex<State>
  private let logger: Logger
  public let metrics: ReplicaMetrics

  public init(
    backend: Backend, healthName: String, partitions: [Topology.Partition], options: Options,
    logger: Logger
  ) {
    self.backend = backend
    self.healthName = healthName
    self.options = options
    self.logger = logger
    self.metrics = ReplicaMetrics(backend: backend)
    self.state = Mutex(
      State(
        partitions: partitions, balancer: ReplicaBalancer(policy: options.policy),
        budget: RetryBudget(
          percent: options.retryPercent, minimumConcurrency: options.retryMinimumConcurrency)))
    for p in partitions { for r in p.replicas { _ = channel(r) } }
  }

  /// The partitions now.
  public var partitions: [Topology.Partition] { state.withLock { $0.partitions } }

  /// The partition that holds `town`: the one naming it, else the default one; nil when
  /// neither exists.
  public func partition(ofTown town: String) -> Int? {
    state.withLock { s in
      s.partitions.firstIndex { $0.towns.contains(town) }
        ?? s.partitions.firstIndex { $0.isDefault }
    }
  }

  /// The balancing state of every replica (tests, metrics).
  public var replicaStates: [Key: ReplicaBalancer<Key>.Replica] {
    state.withLock { $0.balancer.replicas }
  }

  private func channel(_ key: Key) -> RPCChannel {
    let (channel, isNew) = state.withLock { s -> (RPCChannel, Bool) in
      if let c = s.channels[key] { return (c, false) }
      if let c = s.retired.removeValue(forKey: key) {
        s.channels[key] = c
        return (c, false)
      }
      let c = RPCChannel(
        configuration: .init(
          targets: [key], security: options.security,
          connectionsPerTarget: options.connectionsPerReplica, waitForReady: false),
        logger: logger)
      s.channels[key] = c
      s.watch?.yield(key)
      return (c, true)
    }
    if isNew { metrics.replicaAdded(key) }
    return channel
  }

  /// Runs `body` on a replica of partition `partition`, as described above. `idempotent`:
  /// the method only reads, so a failed attempt that sent nothing back may be tried again.
  public func call<Result: Sendable>(
    partition: Int, idempotent: Bool, excluding avoided: [Key] = [],
    attempt: Attempt = Attempt(), _ body: (RPCChannel, Attempt) async throws -> Result
  ) async throws -> Result {
    state.withLock { $0.budget.callStarted() }
    defer { state.withLock { $0.budget.callEnded() } }
    var excluding: [Key] = avoided
    var lastError: RPCError? = nil
    for number in 0..<max(1, options.maximumAttempts) {
      let (pick, replicas, name) = state.withLock { s -> (Picked, [Key], String) in
        guard !s.closed, s.partitions.indices.contains(partition) else { return (.none, [], "") }
        let p = s.partitions[partition]
        let channels = s.channels
        var random = SystemRandomNumberGenerator()
        let pick = s.balancer.pick(
          p.replicas, now: .now(), excluding: excluding,
          connected: { channels[$0]?.hasReadyConnection ?? false }, random: &random)
        switch pick {
        case .replica(let key): return (.replica(key, channels[key]!), p.replicas, p.name)
        case .overloaded: return (.overloaded, p.replicas, p.name)
        case .none: return (.none, p.replicas, p.name)
        }
      }
      let key: Key
      let channel: RPCChannel
      switch pick {
      case .replica(let k, let c):
        key = k
        channel = c
      case .overloaded:
        throw RPCError(
          .unavailable,
          "every replica of \(backend.rawValue) partition \(name) is at its limit of pending calls")
      case .none:
        throw lastError ?? RPCError(.unavailable, "\(backend.rawValue) has no such partition")
      }
      metrics.outstanding(key, delta: 1)
      attempt.tried(key)
      let retried = number > 0
      do {
        let result = try await body(channel, attempt)
        finish(key, replicas, .answered, retried: retried)
        return result
      } catch {
        let rpc = (error as? RPCError) ?? (error as? any RPCErrorConvertible)?.rpcError
        finish(key, replicas, Self.outcome(of: rpc), retried: retried)
        guard let rpc else { throw error }
        lastError = rpc
        let again =
          !attempt.isCommitted
          && (rpc.isRefused || (idempotent && rpc.code == .unavailable))
          && number + 1 < options.maximumAttempts
        guard again, state.withLock({ $0.budget.tryRetry() }) else { throw rpc }
        excluding.append(key)
        metrics.retried()
      }
    }
    throw lastError ?? RPCError(.unavailable, "\(backend.rawValue): no attempt made")
  }

  /// A unary read with hedging: when no answer came within `after`, a second attempt goes to
  /// another replica (within the retry budget, counted as a retry); the first answer wins and
  /// the other attempt is cancelled. When both fail, the first attempt's error.
  public func hedged(
    partition: Int, after: Duration,
    _ body: @escaping @Sendable (RPCChannel) async throws -> ByteBuffer
  ) async throws -> ByteBuffer {
    let first = Attempt()
    return try await withThrowingTaskGroup(of: (primary: Bool, ByteBuffer?, (any Error)?).self) {
      group in
      group.addTask {
        do {
          let answer = try await self.call(partition: partition, idempotent: true, attempt: first) {
            channel, _ in try await body(channel)
          }
          return (true, answer, nil)
        } catch { return (true, nil, error) }
      }
      group.addTask {
        try await Task.sleep(for: after)
        guard self.state.withLock({ $0.budget.tryRetry() }) else { return (false, nil, nil) }
        defer { self.state.withLock { $0.budget.retryEnded() } }
        self.metrics.hedged()
        do {
          let answer = try await self.call(
            partition: partition, idempotent: true, excluding: first.triedOn
          ) { channel, _ in try await body(channel) }
          return (false, answer, nil)
        } catch { return (false, nil, error) }
      }
      var primaryError: (any Error)? = nil
      while let result = try await group.next() {
        if let answer = result.1 {
          group.cancelAll()
          return answer
        }
        if result.primary { primaryError = result.2 }
      }
      throw primaryError ?? RPCError(.unavailable, "\(backend.rawValue): no answer")
    }
  }

  private enum Picked {
    case replica(Key, RPCChannel)
    case overloaded
    case none
  }

  private func finish(_ key: Key, _ partition: [Key], _ outcome: CallOutcome, retried: Bool) {
    let (event, close) = state.withLock { s -> (ReplicaBalancer<Key>.Event, RPCChannel?) in
      if retried { s.budget.retryEnded() }
      let event = s.balancer.finished(key, in: partition, outcome, now: .now())
      var close: RPCChannel? = nil
      if s.retired[key] != nil, s.balancer.replicas[key]?.outstanding ?? 0 == 0 {
        close = s.retired.removeValue(forKey: key)
      }
      return (event, close)
    }
    metrics.outstanding(key, delta: -1)
    close?.close()
    if case .ejected(let key, let time) = event {
      metrics.ejected(key)
      logger.warning(
        "replica ejected",
        metadata: [
          "backend": "\(backend.rawValue)", "replica": "\(key.host):\(key.port)",
          "for": "\(time.nanoseconds / 1_000_000) ms",
        ])
    }
  }

  /// What an attempt's end says about the replica.
  static func outcome(of error: RPCError?) -> CallOutcome {
    guard let error else { return .neutral }
    switch error.code {
    case .unavailable, .internal, .unknown, .dataLoss: return .failed
    case .cancelled, .deadlineExceeded: return .neutral
    default: return .answered
    }
  }

  /// Takes reloaded partitions: replicas still named keep their state and connections, new
  /// ones are connected and watched, dropped ones take no new calls and are closed once their
  /// calls have ended.
  public func apply(_ partitions: [Topology.Partition]) {
    let keep = Set(partitions.flatMap(\.replicas))
    let closeNow = state.withLock { s -> [RPCChannel] in
      s.partitions = partitions
      var close: [RPCChannel] = []
      for (key, channel) in s.channels where !keep.contains(key) {
        s.channels.removeValue(forKey: key)
        if s.balancer.replicas[key]?.outstanding ?? 0 == 0 {
          close.append(channel)
        } else {
          s.retired[key] = channel
        }
      }
      _ = s.balancer.forget(keeping: keep.union(s.retired.keys))
      return close
    }
    for c in closeNow { c.close() }
    for key in keep { _ = channel(key) }
    metrics.keepOnly(keep)
  }

  /// Watches the health of every replica until cancelled (the gateway's background).
  public func watchHealth() async {
    let (stream, continuation) = AsyncStream<Key>.makeStream()
    let current = state.withLock { s -> [Key] in
      s.watch = continuation
      return Array(s.channels.keys)
    }
    for key in current { continuation.yield(key) }
    await withDiscardingTaskGroup { group in
      for await key in stream {
        group.addTask { await self.watch(key) }
      }
    }
  }

  private func watch(_ key: Key) async {
    var request = Grpc_Health_V1_HealthCheckRequest()
    request.service = healthName
    while !Task.isCancelled {
      guard let channel = state.withLock({ $0.channels[key] }) else { return }
      do {
        try await Grpc_Health_V1_Health_Client(channel: channel).watch(request) { stream in
          for try await update in stream {
            report(key, update.status == .serving ? .serving : .notServing)
          }
        }
      } catch {}
      // The watch ended: the replica shuts down, or is gone.
      report(key, .notServing)
      try? await Task.sleep(nanoseconds: UInt64(options.healthRetry.nanoseconds))
    }
  }

  private func report(_ key: Key, _ health: ReplicaBalancer<Key>.Health) {
    state.withLock { $0.balancer.setHealth(key, health, now: .now()) }
    metrics.health(key, health == .serving)
  }

  /// Closes every replica's channel; calls in flight fail with UNAVAILABLE.
  public func close() {
    let channels = state.withLock { s -> [RPCChannel] in
      s.closed = true
      s.watch?.finish()
      defer {
        s.channels.removeAll()
        s.retired.removeAll()
      }
      return Array(s.channels.values) + Array(s.retired.values)
    }
    for c in channels { c.close() }
  }
}
