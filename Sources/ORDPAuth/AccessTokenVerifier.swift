import Crypto
import Foundation
import JWTKit
public import Logging
public import ORDPRPC
import Synchronization

/// Verifies ORDP access tokens offline, as every service and the gateway do for every call.
///
/// Keeps identity's public keys (fetched again when a token names an unknown key id, at most
/// once per `keyRefreshInterval`, such calls waiting for that fetch) and its revocation list (synchronised every
/// `revocationSyncInterval` by `run()`). Checks the EdDSA signature, issuer, audience,
/// not-before and expiry (with `leeway`), and revocation. Tokens that verified once are cached
/// until they expire, so a client's repeated calls pay a dictionary lookup and the revocation
/// check, not the signature check again. Every failure is an `RPCError` with
/// `UNAUTHENTICATED` and a message that says what was wrong.
public final class AccessTokenVerifier: Sendable {
  public struct Configuration: Sendable {
    public var issuer: String
    public var audience: String
    /// Clock skew tolerated for expiry and not-before, in seconds.
    public var leeway: Double = 30
    /// How often `run()` fetches new revocations: the bound on how long a revoked token
    /// still passes.
    public var revocationSyncInterval: Duration = .seconds(5)
    /// When revocations could not be fetched for this long, tokens are refused with
    /// UNAVAILABLE instead of trusted blindly (nil: never).
    public var revocationStalenessLimit: Duration? = .seconds(120)
    /// Minimum time between two key fetches caused by unknown key ids (calls with such ids
    /// wait up to this long).
    public var keyRefreshInterval: Duration = .seconds(1)
    /// How often `run()` fetches the published keys: a key identity no longer publishes (a
    /// retired key, once every token it signed has expired) stops verifying within this
    /// time, and so do the cached tokens it signed.
    public var keySyncInterval: Duration = .seconds(60)
    /// Verified tokens kept in the cache.
    public var cacheCapacity: Int = 20_000
    /// Longest token accepted, in bytes.
    public var maximumTokenLength: Int = 8192

    public init(issuer: String, audience: String) {
      self.issuer = issuer
      self.audience = audience
    }
  }

  private struct Cached {
    var principal: Principal
    var notBefore: Double
    var keyID: String
  }

  private struct State {
    var keys: [String: Curve25519.Signing.PublicKey] = [:]
    /// When the last fetch for an unknown key id ended.
    var lastUnknownKeyFetch: ContinuousClock.Instant?
    /// The fetch for unknown key ids under way, and whether it has been sent (or still
    /// waits out `keyRefreshInterval`).
    var keyFetch: Task<Void, any Error>?
    var keyFetchSent = false
    /// Key ids identity stopped publishing (the latest few): refused at once, not fetched for.
    var retiredKeyIDs: [String] = []
    var lastKeySync: ContinuousClock.Instant?
    var revocations = RevocationList()
    var lastRevocationSync: ContinuousClock.Instant?
    var cache: [String: Cached] = [:]
  }

  public let configuration: Configuration
  private let source: any IdentityKeySource
  private let state = Mutex(State())
  private let parser = DefaultJWTParser()
  private let clock: @Sendable () -> Double
  private let logger: Logger

  /// - Parameter now: seconds since 1970 (tests move time).
  public init(
    configuration: Configuration, source: any IdentityKeySource,
    logger: Logger = Logger(label: "ordp.auth"),
    now: (@Sendable () -> Double)? = nil
  ) {
    self.configuration = configuration
    self.source = source
    self.logger = logger
    self.clock = now ?? { Date().timeIntervalSince1970 }
  }

  /// Verifies `token` and returns who it is for.
  public func verify(_ token: String) async throws(RPCError) -> Principal {
    let now = clock()
    if let principal = try cachedPrincipal(token, now: now) { return principal }
    if state.withLock({ $0.lastRevocationSync == nil }) {
      // Used before `run()` synchronised once (a service that just started): fetch now
      // instead of refusing.
      try? await syncRevocations()
    }
    guard token.utf8.count <= configuration.maximumTokenLength else {
      throw Self.unauthenticated(
        "access token longer than \(configuration.maximumTokenLength) bytes")
    }
    let bytes = Array(token.utf8)
    let parsed: (header: JWTHeader, payload: AccessTokenClaims, signature: Data)
    do {
      parsed = try parser.parse(bytes, as: AccessTokenClaims.self)
    } catch {
      throw Self.unauthenticated("malformed access token")
    }
    guard parsed.header.alg == "EdDSA" else {
      throw Self.unauthenticated(
        "access token algorithm \(parsed.header.alg ?? "none") is not accepted (EdDSA only)")
    }
    guard let keyID = parsed.header.kid else {
      throw Self.unauthenticated("access token has no key id")
    }
    let key = try await publicKey(keyID)
    guard let lastDot = bytes.lastIndex(of: UInt8(ascii: ".")),
      key.isValidSignature(parsed.signature, for: bytes[..<lastDot])
    else {
      throw Self.unauthenticated("access token signature is invalid")
    }
    let claims = parsed.payload
    guard claims.iss.value == configuration.issuer else {
      throw Self.unauthenticated("access token issuer \(claims.iss.value) is not trusted")
    }
    guard claims.aud.value.contains(configuration.audience) else {
      throw Self.unauthenticated("access token is not meant for audience \(configuration.audience)")
    }
    let cached = Cached(
      principal: claims.principal, notBefore: claims.nbf.value.timeIntervalSince1970,
      keyID: keyID)
    try check(cached, now: now)
    state.withLock { state in
      if state.cache.count >= configuration.cacheCapacity {
        state.cache = state.cache.filter {
          $0.value.principal.expiresAt + configuration.leeway > now
        }
        if state.cache.count >= configuration.cacheCapacity { state.cache.removeAll() }
      }
      state.cache[token] = cached
    }
    return cached.principal
  }

  /// The principal of a token verified before, checked for expiry and revocation again; nil
  /// when the token is not in the cache (then call `verify`). Synchronous: the hot path of an
  /// interceptor needs no suspension.
  public func verifyCached(_ token: String) throws(RPCError) -> Principal? {
    try cachedPrincipal(token, now: clock())
  }

  private func cachedPrincipal(_ token: String, now: Double) throws(RPCError) -> Principal? {
    let cached = state.withLock { $0.cache[token] }
    guard let cached else { return nil }
    try check(cached, now: now)
    return cached.principal
  }

  /// Time and revocation checks, done on every use of a token (cached or not).
  private func check(_ cached: Cached, now: Double) throws(RPCError) {
    let principal = cached.principal
    guard principal.expiresAt + configuration.leeway > now else {
      throw Self.unauthenticated("access token expired")
    }
    guard cached.notBefore - configuration.leeway <= now else {
      throw Self.unauthenticated("access token not valid yet")
    }
    let (revoked, stale) = state.withLock { state in
      let revoked = state.revocations.isRevoked(principal)
      var stale = false
      if let limit = configuration.revocationStalenessLimit {
        if let last = state.lastRevocationSync {
          stale = ContinuousClock.now - last > limit
        } else {
          stale = true
        }
      }
      return (revoked, stale)
    }
    if revoked { throw Self.unauthenticated("access token has been revoked") }
    if stale {
      throw RPCError(
        .unavailable, "cannot check access tokens: revocations from identity are out of date")
    }
  }

  private func publicKey(_ keyID: String) async throws(RPCError) -> Curve25519.Signing.PublicKey {
    let (known, retired) = state.withLock { ($0.keys[keyID], $0.retiredKeyIDs.contains(keyID)) }
    if let known { return known }
    if retired { throw Self.unauthenticated("access token signed with retired key \(keyID)") }
    // A key id not known yet: identity may have rotated to it a moment ago. Such calls share
    // one fetch, at most one per `keyRefreshInterval` (forged key ids cannot make the
    // verifier hammer identity); a call that comes within the interval waits for the next
    // fetch instead of being refused. A fetch already sent when the call came may predate
    // the key: then the call waits for one more.
    for _ in 0..<2 {
      let (fetch, sent) = state.withLock { state in
        if let pending = state.keyFetch { return (pending, state.keyFetchSent) }
        let since = state.lastUnknownKeyFetch.map { ContinuousClock.now - $0 }
        let wait = since.map { max(.zero, configuration.keyRefreshInterval - $0) } ?? .zero
        let task = keyFetch(after: wait)
        state.keyFetch = task
        return (task, false)
      }
      do {
        try await fetch.value
      } catch {
        logger.warning("cannot fetch identity's public keys: \(error)")
        throw RPCError(
          .unavailable, "cannot fetch identity's public keys to check the access token")
      }
      if let key = state.withLock({ $0.keys[keyID] }) { return key }
      if !sent { break }
    }
    throw Self.unauthenticated("access token signed with unknown key \(keyID)")
  }

  /// A fetch of the keys after `wait`, for unknown key ids (`publicKey`).
  private func keyFetch(after wait: Duration) -> Task<Void, any Error> {
    Task {
      if wait > .zero { try await Task.sleep(for: wait) }
      state.withLock { $0.keyFetchSent = true }
      defer {
        state.withLock {
          $0.keyFetch = nil
          $0.keyFetchSent = false
          $0.lastUnknownKeyFetch = .now
        }
      }
      try await refreshKeys()
    }
  }

  /// Fetches identity's public keys now. Keys no longer published are dropped, with the
  /// cached tokens they signed.
  public func refreshKeys() async throws {
    let keys = try await source.fetchKeys()
    state.withLock { state in
      let previous = state.keys
      state.keys = Dictionary(keys.map { ($0.keyID, $0.publicKey) }, uniquingKeysWith: { $1 })
      let dropped = previous.keys.filter { state.keys[$0] == nil }.sorted()
      state.retiredKeyIDs = Array(
        (state.retiredKeyIDs.filter { state.keys[$0] == nil } + dropped).suffix(
          Self.retiredKeyIDsKept))
      state.lastKeySync = .now
      let published = state.keys
      state.cache = state.cache.filter { published[$0.value.keyID] != nil }
    }
  }

  /// Retired key ids remembered (identity keeps a handful of keys; rotations are rare).
  static let retiredKeyIDsKept = 32

  /// Pages fetched per synchronisation at most (a verifier far behind catches up over a few).
  static let maximumRevocationPages = 100

  /// Fetches revocations after the last known one now, page after page.
  public func syncRevocations() async throws {
    var after = state.withLock { $0.revocations.latestSequence }
    var restarted = false
    var pages = 0
    while pages < Self.maximumRevocationPages {
      pages += 1
      let page = try await source.fetchRevocations(after: after)
      let now = clock()
      let applied = state.withLock { state in
        let applied = state.revocations.apply(page.entries, latest: page.latest)
        if applied {
          state.revocations.prune(now: now)
          if !page.more { state.lastRevocationSync = .now }
        }
        return applied
      }
      if !applied {
        // Identity's store was replaced: start again from 0, once.
        guard !restarted else { return }
        restarted = true
        after = 0
        continue
      }
      guard page.more else { return }
      after = state.withLock { $0.revocations.latestSequence }
    }
  }

  /// Fetches keys and revocations, then keeps revocations current until cancelled.
  public func run() async throws {
    while !Task.isCancelled {
      do {
        let keysDue = state.withLock { state in
          state.keys.isEmpty
            || state.lastKeySync.map { ContinuousClock.now - $0 >= configuration.keySyncInterval }
              ?? true
        }
        if keysDue { try await refreshKeys() }
        try await syncRevocations()
      } catch is CancellationError {
        return
      } catch {
        logger.warning("cannot synchronise revocations with identity: \(error)")
      }
      try? await Task.sleep(for: configuration.revocationSyncInterval)
    }
  }

  /// Number of tokens in the cache (for metrics and tests).
  public var cachedTokens: Int { state.withLock { $0.cache.count } }

  private static func unauthenticated(_ message: String) -> RPCError {
    RPCError(.unauthenticated, message)
  }
}
