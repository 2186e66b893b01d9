public import ArgumentParser
import Foundation
public import Logging
import NIOSSL
public import ORDPRPC

/// The command-line options every service executable shares: where to listen and with which
/// TLS identity, and how to log.
public struct ServerOptions: ParsableArguments {
  @Option(
    help:
      "Configuration file: key = value lines with the long option names (also $ORDP_<SERVICE>_CONFIG); environment variables ORDP_<SERVICE>_<OPTION> override it, flags both."
  )
  public var config: String?
  @Option(help: "Address to listen on.") public var host = "127.0.0.1"
  @Option(help: "Port to listen on (0: any free port; default: the service's own).")
  public var port: Int?
  @Option(help: "Server certificate chain (PEM).") public var tlsCert: String?
  @Option(help: "Server private key (PEM).") public var tlsKey: String?
  @Option(help: "CA (PEM) whose client certificates are accepted (mutual TLS).")
  public var clientCA: String?
  @Flag(help: "Refuse clients without a certificate from --client-ca.")
  public var requireClientCert = false
  @Flag(help: "Serve without TLS (local tests only).") public var plaintext = false
  @Option(help: "Seconds a connection may take for TLS and HELLO.") public var handshakeTimeout:
    Double = 10
  @Option(help: "Seconds without calls before a connection is closed.") public var idleTimeout:
    Double = 300
  @Option(help: "Log level (trace, debug, info, notice, warning, error).")
  public var logLevel = "info"
  @Flag(inversion: .prefixedNo, help: "One log line per call (label ordp.access, level info).")
  public var accessLog = true
  @Option(
    help: "Port for Prometheus metrics over HTTP, GET /metrics (0: any free port; default: none).")
  public var metricsPort: Int?

  public init() {}

  public func validate() throws {
    if let port, !(0...65_535).contains(port) {
      throw ValidationError("--port must be in 0...65535")
    }
    if let metricsPort, !(0...65_535).contains(metricsPort) {
      throw ValidationError("--metrics-port must be in 0...65535")
    }
    for (flag, seconds) in [
      ("--handshake-timeout", handshakeTimeout), ("--idle-timeout", idleTimeout),
    ]
    where !(seconds >= 0.01 && seconds <= 86_400) {
      throw ValidationError("\(flag) must be between 0.01 and 86400 seconds")
    }
    if logLevel.isEmpty || Logger.Level(rawValue: logLevel) == nil {
      throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error")
    }
  }

  /// The server's configuration: these options, `defaultPort` unless `--port` is given.
  public func configuration(defaultPort: Int) throws -> ServerConfiguration {
    ServerConfiguration(
      host: host, port: port ?? defaultPort, security: try security(),
      handshakeTimeout: .milliseconds(Int64(handshakeTimeout * 1000)),
      idleTimeout: .milliseconds(Int64(idleTimeout * 1000)))
  }

  /// What the server tells about its calls.
  public var observability: Observability {
    Observability(accessLog: accessLog, metricsHost: host, metricsPort: metricsPort)
  }

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
