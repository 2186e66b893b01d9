public import ORDPRPC

/// The gateway's one service: every public method of identity, the catalogue and analytics,
/// passed on undecoded (`RPCRelay`) to a replica of its backend (`BackendPool`: balanced,
/// retried where safe) with the caller's metadata (as
/// `EdgeMetadata` left it: the token, trace context, the request id), the remaining deadline
/// and the caller's cancellation. Requests larger than their method takes are refused here,
/// from the frame header, as the services refuse them (`requestLimits`: the services' own
/// tables) — with the read pauses that slow down a client that keeps sending them, which the
/// services spare the gateway's mutual-TLS connections.
public struct GatewayService: RPCService {
  let methods: [ProxiedMethod]
  let backends: [Backend: BackendPool]
  let requestLimits: [String: Int]

  public init(
    methods: [ProxiedMethod], backends: [Backend: BackendPool], requestLimits: [String: Int]
  ) {
    self.methods = methods
    self.backends = backends
    self.requestLimits = requestLimits
  }

  public var maximumRequestBytes: [String: Int] { requestLimits }

  public func registerMethods(with router: inout RPCRouter) {
    for method in methods {
      guard let pool = backends[method.backend] else { continue }
      let descriptor = method.descriptor
      let idempotent = method.idempotent
      router.registerRaw(descriptor) { requests, responses, context in
        // One attempt at most within a replica; `BackendPool` tries other replicas.
        let options = CallOptions(metadata: context.requestMetadata, maxTransparentRetries: 1)
        if descriptor.kind.hasSingleRequest {
          // The request is read once, so that another replica can be given the same bytes.
          let request = try await RPCRelay.single(requests, descriptor)
          try await pool.call(partition: 0, idempotent: idempotent) { channel, attempt in
            try await RPCRelay.forward(
              descriptor, request: request, responses: responses, to: channel, options: options,
              onResponse: attempt.committed)
          }
        } else {
          try await pool.call(partition: 0, idempotent: false) { channel, attempt in
            attempt.committed()  // the requests are read as they are passed on: one attempt
            try await RPCRelay.forward(
              descriptor, requests: requests, responses: responses, to: channel, options: options)
          }
        }
      }
    }
  }
}
