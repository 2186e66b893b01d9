public import ArgumentParser
public import ORDPRPC

/// Where a service finds identity, to verify access tokens.
public struct IdentityClientOptions: ParsableArguments {
  @Option(help: "Identity's host.") public var identityHost = "127.0.0.1"
  @Option(help: "Identity's port.") public var identityPort = 7444
  @Option(help: "CA (PEM) that signed identity's certificate.") public var identityCA: String?
  @Option(help: "Name to check identity's certificate against (default: its host).")
  public var identityServerName: String?
  @Option(help: "Client certificate chain (PEM) for identity, when it requires mutual TLS.")
  public var identityClientCert: String?
  @Option(help: "Client private key (PEM) for identity.") public var identityClientKey: String?
  @Flag(help: "Reach identity without TLS (local tests only).") public var identityPlaintext =
    false
  @Option(help: "Token issuer to trust.") public var issuer = "ordp-identity"
  @Option(help: "Token audience to expect.") public var audience = "ordp"

  public init() {}

  public func validate() throws {
    guard (1...65_535).contains(identityPort) else {
      throw ValidationError("--identity-port must be in 1...65535")
    }
  }

  /// A channel to identity.
  public func channel() throws -> RPCChannel {
    let security = try ClientTLSFiles(
      plaintext: identityPlaintext, ca: identityCA,
      serverName: identityServerName ?? identityHost, clientCert: identityClientCert,
      clientKey: identityClientKey, prefix: "identity"
    ).security()
    return RPCChannel(
      configuration: .init(
        targets: [.init(host: identityHost, port: identityPort)], security: security))
  }
}
