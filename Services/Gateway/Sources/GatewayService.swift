public import Logging
public import ORDPRPC

/// The gateway's one service: every public method of identity, the catalogue and analytics,
/// passed on undecoded (`RPCRelay`) to its backend's channel with the caller's metadata (as
/// `EdgeMetadata` left it: the token, trace context, the request id), the remaining deadline
/// and the caller's cancellation.
public struct GatewayService: RPCService {
  let methods: [ProxiedMethod]
  let backends: [Backend: RPCChannel]
  let logger: Logger

  public init(methods: [ProxiedMethod], backends: [Backend: RPCChannel], logger: Logger) {
    self.methods = methods
    self.backends = backends
    self.logger = logger
  }

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
