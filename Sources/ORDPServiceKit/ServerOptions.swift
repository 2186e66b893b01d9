public import ArgumentParser
import Foundation
public import Logging
import NIOSSL
public import ORDPRPC

/// The command-line options every service executable shares: where to listen and with which
/// TLS identity, and how to log.
public struct ServerOptions: ParsableArguments {
  @Option(help: "Address to listen on.") public var host = "127.0.0.1"
  @Option(help: "Server certificate chain (PEM).") public var tlsCert: String?
  @Option(help: "Server private key (PEM).") public var tlsKey: String?
  @Option(help: "CA (PEM) whose client certificates are accepted (mutual TLS).")
  public var clientCA: String?
  @Flag(help: "Refuse clients without a certificate from --client-ca.")
  public var requireClientCert = false
  @Flag(help: "Serve without TLS (local tests only).") public var plaintext = false
  @Option(help: "Log level (trace, debug, info, notice, warning, error).")
  public var logLevel = "info"

  public init() {}

  /// The server's TLS (or plaintext) setting from the options.
  public func security() throws -> ServerSecurity {
    if plaintext { return .plaintext }
    guard let tlsCert, let tlsKey else {
      throw ValidationError("give --tls-cert and --tls-key, or --plaintext for local tests")
    }
    let clientCertificates: ServerSecurity.ClientCertificates
    if let clientCA {
      let roots = try NIOSSLCertificate.fromPEMFile(clientCA)
      clientCertificates =
        requireClientCert ? .required(trustRoots: roots) : .optional(trustRoots: roots)
    } else {
      clientCertificates = .none
    }
    return .tls(
      certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCert),
      privateKey: try NIOSSLPrivateKey(file: tlsKey, format: .pem),
      clientCertificates: clientCertificates)
  }

  /// Starts logging to standard error at `--log-level` and returns a logger.
  public func bootstrapLogging(label: String) -> Logger {
    let level = Logger.Level(rawValue: logLevel) ?? .info
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
    return Logger(label: label)
  }
}

/// Where a service finds identity, to verify access tokens.
public struct IdentityClientOptions: ParsableArguments {
  @Option(help: "Identity's host.") public var identityHost = "127.0.0.1"
  @Option(help: "Identity's port.") public var identityPort = 7444
  @Option(help: "CA (PEM) that signed identity's certificate.") public var identityCA: String?
  @Option(help: "Name to check identity's certificate against (default: its host).")
  public var identityServerName: String?
  @Flag(help: "Reach identity without TLS (local tests only).") public var identityPlaintext =
    false
  @Option(help: "Token issuer to trust.") public var issuer = "ordp-identity"
  @Option(help: "Token audience to expect.") public var audience = "ordp"

  public init() {}

  /// A channel to identity.
  public func channel() throws -> RPCChannel {
    let security: ClientSecurity
    if identityPlaintext {
      security = .plaintext
    } else {
      guard let identityCA else {
        throw ValidationError("give --identity-ca, or --identity-plaintext for local tests")
      }
      security = .tls(
        trustRoots: try NIOSSLCertificate.fromPEMFile(identityCA),
        serverHostname: identityServerName ?? identityHost)
    }
    return RPCChannel(
      configuration: .init(
        targets: [.init(host: identityHost, port: identityPort)], security: security))
  }
}
