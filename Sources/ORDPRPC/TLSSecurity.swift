public import NIOSSL

/// How a server secures its connections.
public struct ServerSecurity: Sendable {
  enum Mode: Sendable {
    case plaintext
    case tls(TLSConfiguration)
  }

  let mode: Mode

  /// No TLS. Only for local tests and benchmarks, never for a deployment.
  public static var plaintext: ServerSecurity { ServerSecurity(mode: .plaintext) }

  /// Whether and how the server asks for client certificates.
  public enum ClientCertificates: Sendable {
    /// No client certificates.
    case none
    /// Verified against these roots when presented; calls without one still go through.
    case optional(trustRoots: [NIOSSLCertificate])
    /// Required and verified against these roots (mutual TLS).
    case required(trustRoots: [NIOSSLCertificate])
  }

  /// TLS 1.3 (1.2 accepted for old clients) with ALPN `ordp/1`.
  public static func tls(
    certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
    clientCertificates: ClientCertificates = .none
  ) -> ServerSecurity {
    var config = TLSConfiguration.makeServerConfiguration(
      certificateChain: certificateChain.map { .certificate($0) },
      privateKey: .privateKey(privateKey))
    config.minimumTLSVersion = .tlsv12
    config.applicationProtocols = [ORDPProtocol.alpn]
    switch clientCertificates {
    case .none:
      break
    case .optional(let roots):
      config.certificateVerification = .optionalVerification
      config.trustRoots = .certificates(roots)
      config.sendCANameList = true
    case .required(let roots):
      config.certificateVerification = .noHostnameVerification
      config.trustRoots = .certificates(roots)
      config.sendCANameList = true
    }
    return ServerSecurity(mode: .tls(config))
  }

  /// A fully custom TLS configuration; ALPN `ordp/1` is set on it.
  public static func tls(_ configuration: TLSConfiguration) -> ServerSecurity {
    var config = configuration
    config.applicationProtocols = [ORDPProtocol.alpn]
    return ServerSecurity(mode: .tls(config))
  }
}

/// How a client secures its connections.
public struct ClientSecurity: Sendable {
  enum Mode: Sendable {
    case plaintext
    case tls(TLSConfiguration, serverHostname: String?)
  }

  let mode: Mode

  /// No TLS. Only for local tests and benchmarks.
  public static var plaintext: ClientSecurity { ClientSecurity(mode: .plaintext) }

  /// TLS verifying the server against `trustRoots` (the system's roots when nil); with a
  /// client certificate for mutual TLS. `serverHostname` is checked against the certificate
  /// and sent as SNI; nil skips the hostname check (the certificate is still verified).
  public static func tls(
    trustRoots: [NIOSSLCertificate]? = nil, serverHostname: String? = nil,
    clientCertificateChain: [NIOSSLCertificate] = [], clientPrivateKey: NIOSSLPrivateKey? = nil
  ) -> ClientSecurity {
    var config = TLSConfiguration.makeClientConfiguration()
    config.minimumTLSVersion = .tlsv12
    config.applicationProtocols = [ORDPProtocol.alpn]
    if let trustRoots { config.trustRoots = .certificates(trustRoots) }
    config.certificateVerification =
      serverHostname == nil ? .noHostnameVerification : .fullVerification
    if let clientPrivateKey {
      config.certificateChain = clientCertificateChain.map { .certificate($0) }
      config.privateKey = .privateKey(clientPrivateKey)
    }
    return ClientSecurity(mode: .tls(config, serverHostname: serverHostname))
  }

  /// A fully custom TLS configuration; ALPN `ordp/1` is set on it.
  public static func tls(
    _ configuration: TLSConfiguration, serverHostname: String?
  ) -> ClientSecurity {
    var config = configuration
    config.applicationProtocols = [ORDPProtocol.alpn]
    return ClientSecurity(mode: .tls(config, serverHostname: serverHostname))
  }
}

/// Protocol constants.
public enum ORDPProtocol {
  /// The ALPN protocol id.
  public static let alpn = "ordp/1"
  /// The agent string this runtime announces.
  public static let agent = "ordp-swift/0.1"
}

extension NIOSSLCertificate {
  /// The first URI subject alternative name, e.g. `spiffe://ordp/service/catalogue`.
  var firstURISAN: String? {
    for name in _subjectAlternativeNames() where name.nameType == .uri {
      return String(decoding: name.contents, as: UTF8.self)
    }
    return nil
  }
}
