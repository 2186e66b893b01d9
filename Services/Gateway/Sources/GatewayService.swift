public import ORDPRPC

/// The gateway's one service: every public method of identity, the catalogue and analytics,
/// passed on undecoded (`RPCRelay`) to its backend's channel with the caller's metadata (as
/// `EdgeMetadata` left it: the token, trace context, the request id), the remaining deadline
/// and the caller's cancellation. Requests larger than their method takes are refused here,
/// from the frame header, as the services refuse them (`requestLimits`: the services' own
/// tables) — with the read pauses that slow down a client that keeps sending them, which the
/// services spare the gateway's mutual-TLS connections.
public struct GatewayService: RPCService {
  let methods: [ProxiedMethod]
  let backends: [Backend: RPCChannel]
  let requestLimits: [String: Int]

  public init(
    methods: [ProxiedMethod], backends: [Backend: RPCChannel], requestLimits: [String: Int]
  ) {
    self.methods = methods
    self.backends = backends
    self.requestLimits = requestLimits
  }

  public var maximumRequestBytes: [String: Int] { requestLimits }

  public func registerMethods(with router: inout RPCRouter) {
    for method in methods {
      guard let channel = backends[method.backend] else { continue }
      let descriptor = method.descriptor
      router.registerRaw(descriptor) { requests, responses, context in
        try await RPCRelay.forward(
          descriptor, requests: requests, responses: responses, to: channel,
          options: CallOptions(metadata: context.requestMetadata))
      }
    }
  }
}
