import Crypto
public import ORDPIdentityAPI
public import ORDPRPC

/// Fetches identity's public keys and revocations over ORDP/1.
public struct RemoteIdentityKeySource: IdentityKeySource {
  private let client: Ordp_Identity_V1_Identity_Client
  private let timeout: Duration

  public init(channel: RPCChannel, timeout: Duration = .seconds(5)) {
    self.client = Ordp_Identity_V1_Identity_Client(channel: channel)
    self.timeout = timeout
  }

  public func fetchKeys() async throws -> [VerificationKey] {
    let set = try await client.getPublicKeys(.init(), options: CallOptions(timeout: timeout))
    return try set.keys.map(VerificationKey.init(wire:))
  }

  public func fetchRevocations(after sequence: UInt64) async throws -> RevocationPage {
    var request = Ordp_Identity_V1_ListRevocationsRequest()
    request.afterSequence = sequence
    let response = try await client.listRevocations(request, options: CallOptions(timeout: timeout))
    return RevocationPage(
      entries: response.revocations.compactMap(RevocationEntry.init(wire:)),
      latest: response.latestSequence, more: response.more)
  }
}

extension VerificationKey {
  /// A key as `GetPublicKeys` publishes it.
  public init(wire: Ordp_Identity_V1_PublicKey) throws {
    guard wire.algorithm == "EdDSA", wire.curve == "Ed25519" else {
      throw RPCError(.internal, "identity published a \(wire.algorithm)/\(wire.curve) key")
    }
    self.init(
      keyID: wire.keyID,
      publicKey: try Curve25519.Signing.PublicKey(rawRepresentation: wire.publicKey))
  }
}

extension RevocationEntry {
  /// An entry as `ListRevocations` publishes it; nil for kinds this verifier does not know.
  public init?(wire: Ordp_Identity_V1_Revocation) {
    let kind: Kind
    switch wire.kind {
    case .tokenID: kind = .tokenID
    case .session: kind = .session
    case .subject: kind = .subject
    default: return nil
    }
    self.init(
      sequence: wire.sequence, kind: kind, value: wire.value,
      expiresAt: Double(wire.expiresAtMicros) / 1_000_000,
      revokedAt: Double(wire.revokedAtMicros) / 1_000_000)
  }

  /// The entry as `ListRevocations` publishes it.
  public var wire: Ordp_Identity_V1_Revocation {
    var wire = Ordp_Identity_V1_Revocation()
    wire.sequence = sequence
    switch kind {
    case .tokenID: wire.kind = .tokenID
    case .session: wire.kind = .session
    case .subject: wire.kind = .subject
    }
    wire.value = value
    wire.expiresAtMicros = Int64(expiresAt * 1_000_000)
    wire.revokedAtMicros = Int64(revokedAt * 1_000_000)
    return wire
  }
}

/// Adds `authorization: Bearer <token>` to every call of a client channel.
public struct BearerTokenClientInterceptor: ClientInterceptor {
  private let token: @Sendable () async throws -> String

  /// - Parameter token: returns a current access token (it may refresh one).
  public init(token: @escaping @Sendable () async throws -> String) {
    self.token = token
  }

  public func intercept<Result: Sendable>(
    head: ClientCallHead, next: @Sendable (ClientCallHead) async throws -> Result
  ) async throws -> Result {
    var head = head
    head.options.metadata.replace("authorization", "Bearer \(try await token())")
    return try await next(head)
  }
}
