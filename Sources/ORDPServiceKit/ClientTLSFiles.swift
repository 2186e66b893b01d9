import ArgumentParser
import NIOSSL
public import ORDPRPC

/// A client's TLS from PEM files, as command-line options name them: the one place that
/// turns `--<prefix>-ca`, `--<prefix>-client-cert`/`-key` and `--<prefix>-plaintext` (or the
/// `ordp` tool's `--ca`, `--cert`, `--key`, `--plaintext`) into a `ClientSecurity`.
public struct ClientTLSFiles: Sendable {
  public var plaintext: Bool
  public var ca: String?
  public var serverName: String
  public var clientCert: String?
  public var clientKey: String?
  /// How the options are spelt, for messages: "identity" for `--identity-ca`, "" for `--ca`.
  public var prefix: String

  public init(
    plaintext: Bool, ca: String?, serverName: String, clientCert: String?, clientKey: String?,
    prefix: String
  ) {
    self.plaintext = plaintext
    self.ca = ca
    self.serverName = serverName
    self.clientCert = clientCert
    self.clientKey = clientKey
    self.prefix = prefix
  }

  private func flag(_ name: String) -> String {
    prefix.isEmpty ? "--\(name)" : "--\(prefix)-\(name)"
  }

  /// Plaintext, or TLS checking the server against the CA and name, with the client
  /// certificate for mutual TLS when both its files are given.
  public func security() throws -> ClientSecurity {
    if plaintext { return .plaintext }
    guard let ca else {
      throw ValidationError("give \(flag("ca")), or \(flag("plaintext")) for local tests")
    }
    var chain: [NIOSSLCertificate] = []
    var key: NIOSSLPrivateKey? = nil
    switch (clientCert, clientKey) {
    case (let cert?, let keyFile?):
      chain = try NIOSSLCertificate.fromPEMFile(cert)
      key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
    case (nil, nil):
      break
    default:
      let names = prefix.isEmpty ? ("--cert", "--key") : (flag("client-cert"), flag("client-key"))
      throw ValidationError("give both \(names.0) and \(names.1)")
    }
    return .tls(
      trustRoots: try NIOSSLCertificate.fromPEMFile(ca), serverHostname: serverName,
      clientCertificateChain: chain, clientPrivateKey: key)
  }
}
