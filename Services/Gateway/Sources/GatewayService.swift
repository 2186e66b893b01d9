import NIOCore
public import ORDPRPC

/// The gateway's one service: every public method of identity, the catalogue and analytics,
/// passed on undecoded (`RPCRelay`) to a replica of its backend (`BackendPool`: balanced,
/// retried where safe) with the caller's metadata (as `EdgeMetadata` left it: the token,
/// trace context, the request id), the remaining deadline and the caller's cancellation.
/// When the service has several partitions, `PartitionRoutes` picks the partition from the
/// request (its town), or the call goes to every partition: lookups by id take the answer of
/// the one that has it (`PartitionFanout.found`), searches are merged (`SearchScatter`).
/// Requests larger than their method takes are refused here, from the frame header, as the
/// services refuse them (`requestLimits`: the services' own tables) — with the read pauses
/// that slow down a client that keeps sending them, which the services spare the gateway's
/// mutual-TLS connections.
public struct GatewayService: RPCService {
  let methods: [ProxiedMethod]
  let backends: [Backend: BackendPool]
  let requestLimits: [String: Int]
  /// How long a partition of a spread call may take before the others' answers stand alone.
  let partitionTimeout: Duration
  /// Hedging of unary reads: each method's recent latencies; nil when hedging is off.
  let latencies: [String: LatencyTracker]?

  public init(
    methods: [ProxiedMethod], backends: [Backend: BackendPool], requestLimits: [String: Int],
    partitionTimeout: Duration = .seconds(5), hedgeAfterPercentile: Double? = nil
  ) {
    self.methods = methods
    self.backends = backends
    self.requestLimits = requestLimits
    self.partitionTimeout = partitionTimeout
    self.latencies = hedgeAfterPercentile.map { p in
      Dictionary(
        methods.filter { $0.idempotent && $0.descriptor.kind == .unary }.map {
          ($0.descriptor.path, LatencyTracker(percentile: p))
        }, uniquingKeysWith: { a, _ in a })
    }
  }

  public var maximumRequestBytes: [String: Int] { requestLimits }

  public func registerMethods(with router: inout RPCRouter) {
    for method in methods {
      guard let pool = backends[method.backend] else { continue }
      let descriptor = method.descriptor
      let idempotent = method.idempotent
      let partitionTimeout = self.partitionTimeout
      let latency = latencies?[descriptor.path]
      router.registerRaw(descriptor) { requests, responses, context in
        // One attempt at most within a replica; `BackendPool` tries other replicas.
        let options = CallOptions(metadata: context.requestMetadata, maxTransparentRetries: 1)
        // A call passed on to one partition: the backend's response headers and trailers
        // reach the caller.
        var relayed = options
        relayed.responseMetadata = context.response
        guard descriptor.kind.hasSingleRequest else {
          let route = try PartitionRoutes.route(
            descriptor, request: nil, partitions: pool.partitions.count,
            partitionOf: pool.partition(ofTown:))
          if route == .scatter, pool.backend == .catalogue {
            try await ImportScatter.run(
              requests: requests, responses: responses, pool: pool, options: options)
            return
          }
          if route == .scatter {
            try await IngestScatter.run(
              requests: requests, responses: responses, pool: pool, owners: pool.streamOwners,
              options: options, partitionTimeout: partitionTimeout)
            return
          }
          guard case .partition(let partition) = route else {
            throw RPCError(.internal, "\(descriptor.path): no route")
          }
          try await pool.call(partition: partition, idempotent: false) { channel, attempt in
            attempt.committed()  // the requests are read as they are passed on: one attempt
            try await RPCRelay.forward(
              descriptor, requests: requests, responses: responses, to: channel, options: relayed)
          }
          return
        }
        // The request is read once, so that another replica can be given the same bytes.
        let request = try await RPCRelay.single(requests, descriptor)
        switch try PartitionRoutes.route(
          descriptor, request: request, partitions: pool.partitions.count,
          partitionOf: pool.partition(ofTown:))
        {
        case .partition(let partition) where latency != nil:
          // A hedged read: timed, and sent to a second replica once the method's percentile
          // has passed without an answer.
          let start = ContinuousClock.now
          let body: @Sendable (RPCChannel) async throws -> ByteBuffer = { channel in
            try await channel.unaryRaw(descriptor, request: request, options: options)
          }
          let answer =
            if let delay = latency?.delay {
              try await pool.hedged(partition: partition, after: delay, body)
            } else {
              try await pool.call(partition: partition, idempotent: true) { channel, _ in
                try await body(channel)
              }
            }
          let elapsed = ContinuousClock.now - start
          latency?.record(
            nanoseconds: elapsed.components.seconds * 1_000_000_000
              + elapsed.components.attoseconds / 1_000_000_000)
          try await responses.write(answer)
        case .partition(let partition):
          try await pool.call(partition: partition, idempotent: idempotent) { channel, attempt in
            try await RPCRelay.forward(
              descriptor, request: request, responses: responses, to: channel, options: relayed,
              onResponse: attempt.committed)
          }
        case .find:
          try await responses.write(
            try await BackendCalls.find(
              descriptor, request: request, pool: pool, idempotent: idempotent, options: options,
              partitionTimeout: partitionTimeout))
        case .scatter:
          try await BackendCalls.scatter(
            descriptor, request: request, pool: pool, options: options,
            partitionTimeout: partitionTimeout
          ) { try await responses.write($0) }
        }
      }
    }
  }
}
