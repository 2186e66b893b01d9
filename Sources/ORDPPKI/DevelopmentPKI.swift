import Crypto
public import Foundation
import SwiftASN1
import X509

/// A throw-away certificate authority for development, tests and `ordp dev up`: never for a
/// deployment. Keys are P-256; certificates carry DNS, IP and URI subject alternative names.
public struct DevelopmentCA: Sendable {
  /// A certificate with its private key, both PEM-encoded.
  public struct Identity: Sendable {
    public var certificatePEM: String
    public var privateKeyPEM: String
  }

  let certificate: Certificate
  let keyPEM: String
  private var key: P256.Signing.PrivateKey {
    try! P256.Signing.PrivateKey(pemRepresentation: keyPEM)
  }

  /// The CA certificate, PEM-encoded (the trust root clients and servers load).
  public var certificatePEM: String {
    get throws { try certificate.serializeAsPEM().pemString }
  }

  /// The CA key, PEM-encoded.
  public var privateKeyPEM: String { keyPEM }

  /// A new CA valid for `validity` seconds.
  public init(
    commonName: String = "ORDP Development CA", validity: TimeInterval = 3 * 365 * 86_400
  ) throws {
    let key = P256.Signing.PrivateKey()
    let name = try DistinguishedName { CommonName(commonName) }
    let now = Date()
    self.keyPEM = key.pemRepresentation
    self.certificate = try Certificate(
      version: .v3, serialNumber: Certificate.SerialNumber(),
      publicKey: Certificate.PublicKey(key.publicKey),
      notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
      issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
        Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
      },
      issuerPrivateKey: Certificate.PrivateKey(key))
  }

  /// Loads a CA from PEM.
  public init(certificatePEM: String, privateKeyPEM: String) throws {
    self.certificate = try Certificate(pemEncoded: certificatePEM)
    _ = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
    self.keyPEM = privateKeyPEM
  }

  /// Issues a certificate for a server or client.
  /// - Parameters:
  ///   - dnsNames: DNS names the certificate is valid for (servers), e.g. `localhost`.
  ///   - ipAddresses: IP addresses (servers), e.g. `127.0.0.1`.
  ///   - uris: URI SANs naming the identity, e.g. `spiffe://ordp/service/catalogue`.
  public func issue(
    commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], uris: [String] = [],
    validity: TimeInterval = 365 * 86_400
  ) throws -> Identity {
    let key = P256.Signing.PrivateKey()
    let now = Date()
    var names: [GeneralName] = dnsNames.map { .dnsName($0) }
    names += ipAddresses.compactMap {
      Self.ipBytes($0).map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
    }
    names += uris.map { .uniformResourceIdentifier($0) }
    let sans = names
    let certificate = try Certificate(
      version: .v3, serialNumber: Certificate.SerialNumber(),
      publicKey: Certificate.PublicKey(key.publicKey),
      notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
      issuer: self.certificate.subject, subject: try DistinguishedName { CommonName(commonName) },
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.notCertificateAuthority)
        Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
        try ExtendedKeyUsage([.serverAuth, .clientAuth])
        SubjectAlternativeNames(sans)
      },
      issuerPrivateKey: Certificate.PrivateKey(self.key))
    return Identity(
      certificatePEM: try certificate.serializeAsPEM().pemString,
      privateKeyPEM: key.pemRepresentation)
  }

  private static func ipBytes(_ address: String) -> [UInt8]? {
    let parts = address.split(separator: ".")
    if parts.count == 4 {
      let bytes = parts.compactMap { UInt8($0) }
      return bytes.count == 4 ? bytes : nil
    }
    if address == "::1" { return Array(repeating: 0, count: 15) + [1] }
    return nil
  }
}

/// The files of a development PKI in a directory: `ca.pem`, `ca-key.pem`, and per identity
/// `<name>.pem` / `<name>-key.pem`.
public struct DevelopmentPKIDirectory: Sendable {
  public let url: URL

  public init(url: URL) { self.url = url }

  public func path(_ file: String) -> String { url.appendingPathComponent(file).path }

  /// Creates the CA (or loads it, when present) and the identities that are missing.
  /// Returns the CA.
  @discardableResult
  public func ensure(
    identities: [(name: String, dnsNames: [String], ipAddresses: [String], uris: [String])]
  ) throws
    -> DevelopmentCA
  {
    let fm = FileManager.default
    try fm.createDirectory(at: url, withIntermediateDirectories: true)
    let ca: DevelopmentCA
    if fm.fileExists(atPath: path("ca.pem")), fm.fileExists(atPath: path("ca-key.pem")) {
      ca = try DevelopmentCA(
        certificatePEM: String(contentsOfFile: path("ca.pem"), encoding: .utf8),
        privateKeyPEM: String(contentsOfFile: path("ca-key.pem"), encoding: .utf8))
    } else {
      ca = try DevelopmentCA()
      try write(ca.certificatePEM, to: "ca.pem")
      try write(ca.privateKeyPEM, to: "ca-key.pem", secret: true)
    }
    for identity in identities where !fm.fileExists(atPath: path("\(identity.name).pem")) {
      let issued = try ca.issue(
        commonName: identity.name, dnsNames: identity.dnsNames, ipAddresses: identity.ipAddresses,
        uris: identity.uris)
      try write(issued.certificatePEM, to: "\(identity.name).pem")
      try write(issued.privateKeyPEM, to: "\(identity.name)-key.pem", secret: true)
    }
    return ca
  }

  /// Writes a PEM file; a private key is created owner-only (mode 0600 from the start, never
  /// readable by others for a moment).
  private func write(_ text: String, to file: String, secret: Bool = false) throws {
    guard secret else {
      return try text.write(toFile: path(file), atomically: true, encoding: .utf8)
    }
    guard
      FileManager.default.createFile(
        atPath: path(file), contents: nil, attributes: [.posixPermissions: 0o600])
    else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path(file)]) }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path(file)))
    defer { try? handle.close() }
    try handle.write(contentsOf: Data(text.utf8))
  }
}
