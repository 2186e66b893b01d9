/// A revoked token id or session, as identity publishes it.
public struct RevocationEntry: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// One access token, by its `jti`.
    case tokenID
    /// Every access token of a session, by its `sid`.
    case session
    /// Every access token of a subject (`sub`) issued before `revokedAt`: its rights changed
    /// (a role lowered, a town deactivated), so tokens carrying the old ones end; tokens
    /// issued afterwards (a refresh) carry the new rights and are valid.
    case subject
  }

  public var sequence: UInt64
  public var kind: Kind
  public var value: String
  /// Seconds since 1970 after which no token the entry concerns is valid anyway.
  public var expiresAt: Double
  /// When the entry was made, seconds since 1970 (for `.subject`: the cut-off).
  public var revokedAt: Double

  public init(sequence: UInt64, kind: Kind, value: String, expiresAt: Double, revokedAt: Double = 0)
  {
    self.sequence = sequence
    self.kind = kind
    self.value = value
    self.expiresAt = expiresAt
    self.revokedAt = revokedAt
  }
}

/// What a verifier knows about revocations: I/O-free, fed with pages from identity.
public struct RevocationList: Sendable {
  /// The highest sequence number applied; the next fetch asks for entries after it.
  public private(set) var latestSequence: UInt64 = 0
  private var tokenIDs: [String: Double] = [:]
  private var sessions: [String: Double] = [:]
  /// Subject → (tokens issued before this are revoked, when the entry may be forgotten).
  private var subjects: [String: (cutoff: Double, expiresAt: Double)] = [:]

  public init() {}

  /// Applies entries fetched after `latestSequence`. When identity's latest sequence is lower
  /// than ours (its store was replaced), everything known is dropped: the caller fetches all
  /// again from 0.
  /// - Returns: false when the caller must fetch again from 0.
  public mutating func apply(_ entries: [RevocationEntry], latest: UInt64) -> Bool {
    if latest < latestSequence {
      self = RevocationList()
      return false
    }
    for entry in entries {
      switch entry.kind {
      case .tokenID: tokenIDs[entry.value] = entry.expiresAt
      case .session: sessions[entry.value] = entry.expiresAt
      case .subject:
        let known = subjects[entry.value]
        subjects[entry.value] = (
          max(known?.cutoff ?? entry.revokedAt, entry.revokedAt),
          max(known?.expiresAt ?? entry.expiresAt, entry.expiresAt)
        )
      }
    }
    latestSequence = max(latest, entries.map(\.sequence).max() ?? 0)
    return true
  }

  public func isRevoked(tokenID: String, sessionID: String) -> Bool {
    tokenIDs[tokenID] != nil || sessions[sessionID] != nil
  }

  /// Whether the token of `principal` is revoked: by its id, its session, or its subject's
  /// rights having changed after it was issued.
  public func isRevoked(_ principal: Principal) -> Bool {
    if isRevoked(tokenID: principal.tokenID, sessionID: principal.sessionID) { return true }
    guard let subject = subjects[principal.subject] else { return false }
    return principal.issuedAt < subject.cutoff
  }

  /// Forgets entries that expired before `now` (seconds since 1970).
  public mutating func prune(now: Double) {
    tokenIDs = tokenIDs.filter { $0.value >= now }
    sessions = sessions.filter { $0.value >= now }
    subjects = subjects.filter { $0.value.expiresAt >= now }
  }

  public var count: Int { tokenIDs.count + sessions.count + subjects.count }
}
