import ORDPEcho
public import ORDPRPC

/// Relays every echo method to `backend` undecoded, as the gateway relays the services'
/// methods, adding `metadata` to each call's.
public struct EchoRelay: RPCService {
  let backend: RPCChannel
  let metadata: Metadata

  public init(backend: RPCChannel, adding metadata: Metadata = Metadata()) {
    self.backend = backend
    self.metadata = metadata
  }

  public func registerMethods(with router: inout RPCRouter) {
    for method in Ordp_Echo_V1_Echo.Method.all {
      router.registerRaw(method) { [backend, metadata] requests, responses, context in
        var forwarded = context.requestMetadata
        forwarded.add(contentsOf: metadata)
        var options = CallOptions(metadata: forwarded)
        options.responseMetadata = context.response
        try await RPCRelay.forward(
          method, requests: requests, responses: responses, to: backend, options: options)
      }
    }
  }
}
