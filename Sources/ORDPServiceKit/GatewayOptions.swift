public import ArgumentParser
import ORDPGateway
public import ORDPRPC

/// `ordp-gateway`'s own options: where the backends' replicas are and how to reach them.
public struct GatewayOptions: ParsableArguments {
  @Option(help: "Identity's replicas, host:port,… (default: --identity-host:--identity-port).")
  public var identityBackends: String?
  @Option(help: "The catalogue's replicas, host:port,…") public var catalogueBackends =
    "127.0.0.1:7445"
  @Option(help: "Analytics' replicas, host:port,…") public var analyticsBackends = "127.0.0.1:7446"
  @Option(help: "CA (PEM) that signed the backends' certificates.") public var backendCA: String?
  @Option(help: "Name to check the backends' certificates against.") public var backendServerName =
    "localhost"
  @Option(help: "Client certificate chain (PEM) for the backends (mutual TLS).")
  public var backendClientCert: String?
  @Option(help: "Client private key (PEM) for the backends.") public var backendClientKey: String?
  @Flag(help: "Reach the backends without TLS (local tests only).") public var backendPlaintext =
    false
  @Option(help: "Connections to each backend replica.") public var connectionsPerBackend = 1

  public init() {}

  public func validate() throws {
    for list in [identityBackends, catalogueBackends, analyticsBackends].compactMap({ $0 }) {
      _ = try Self.targets(list)
    }
    guard (1...16).contains(connectionsPerBackend) else {
      throw ValidationError("--connections-per-backend must be in 1...16")
    }
    if (backendClientCert == nil) != (backendClientKey == nil) {
      throw ValidationError("give both --backend-client-cert and --backend-client-key")
    }
  }

  /// "host:port,host:port" as targets: 1 to 64 of them, ports 1–65535.
  public static func targets(_ list: String) throws -> [RPCChannel.Target] {
    let items = list.split(separator: ",", omittingEmptySubsequences: true)
    guard (1...64).contains(items.count) else {
      throw ValidationError("a backend list takes 1 to 64 host:port entries, got \"\(list)\"")
    }
    return try items.map { item in
      guard let colon = item.lastIndex(of: ":"), colon != item.startIndex,
        let port = Int(item[item.index(after: colon)...]), (1...65_535).contains(port)
      else { throw ValidationError("\"\(item)\" is not host:port") }
      var host = String(item[..<colon])
      if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      return RPCChannel.Target(host: host, port: port)
    }
  }

  /// The assembly's options these stand for; identity's replicas default to where the
  /// verifier finds identity.
  public func assemblyOptions(identity: IdentityClientOptions) throws -> GatewayAssembly.Options {
    let security = try ClientTLSFiles(
      plaintext: backendPlaintext, ca: backendCA, serverName: backendServerName,
      clientCert: backendClientCert, clientKey: backendClientKey, prefix: "backend"
    ).security()
    var options = GatewayAssembly.Options(
      backends: [
        .identity: try Self.targets(
          identityBackends ?? "\(identity.identityHost):\(identity.identityPort)"),
        .catalogue: try Self.targets(catalogueBackends),
        .analytics: try Self.targets(analyticsBackends),
      ], backendSecurity: security)
    options.connectionsPerBackend = connectionsPerBackend
    return options
  }
}
