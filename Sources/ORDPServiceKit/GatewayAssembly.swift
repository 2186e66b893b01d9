public import Logging
import ORDPAnalytics
import ORDPCatalogue
public import ORDPGateway
import ORDPIdentity
public import ORDPRPC

/// The gateway put together: a channel per backend service over its replicas, the proxied
/// methods, the edge interceptors around the token check.
public enum GatewayAssembly {
  public static let defaultPort = 7443

  public struct Options: Sendable {
    /// Replicas of each backend service.
    public var backends: [Backend: [RPCChannel.Target]]
    /// How the gateway reaches the backends (mutual TLS in production).
    public var backendSecurity: ClientSecurity
    public var connectionsPerBackend = 1

    public init(backends: [Backend: [RPCChannel.Target]], backendSecurity: ClientSecurity) {
      self.backends = backends
      self.backendSecurity = backendSecurity
    }
  }

  public static func assemble(
    _ options: Options, identity: IdentityLink, logger: Logger
  ) throws -> ServiceAssembly {
    let missing = GatewayMethods.missing
    guard missing.isEmpty else {
      throw RPCError(.internal, "methods without edge access: \(missing.joined(separator: ", "))")
    }
    var channels: [Backend: RPCChannel] = [:]
    for (backend, targets) in options.backends where !targets.isEmpty {
      channels[backend] = RPCChannel(
        configuration: .init(
          targets: targets, security: options.backendSecurity,
          connectionsPerTarget: options.connectionsPerBackend),
        logger: logger)
    }
    let methods = GatewayMethods.all
    let opened = Array(channels.values)
    var assembly = ServiceAssembly(
      name: "ordp-gateway", defaultPort: defaultPort,
      services: [
        GatewayService(
          methods: methods, backends: channels,
          requestLimits: IdentityService.requestLimits
            .merging(CatalogueService.requestLimits) { a, _ in a }
            .merging(AnalyticsService.requestLimits) { a, _ in a })
      ],
      healthNames: [], anonymousMethods: GatewayMethods.anonymousPaths,
      verifier: identity.verifier, handlerExecution: .eventLoop, background: identity.background,
      shutdown: {
        for channel in opened { channel.close() }
        identity.close()
      })
    assembly.interceptorsBeforeTokens = [EdgeMetadata()]
    assembly.interceptorsAfterTokens = [EdgeScopes(methods: methods)]
    return assembly
  }
}
