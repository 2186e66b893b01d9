import Crypto
import Foundation
import ORDPAuth
public import ORDPIdentityAPI
public import ORDPRPC

extension IdentityService {
  public func login(
    request: Ordp_Identity_V1_LoginRequest, context: ServerContext
  ) async throws
    -> Ordp_Identity_V1_TokenResponse
  {
    let username = try Validation.required(request.username, field: "username")
    if request.password.isEmpty { throw Validation.invalid("password", "is required") }
    if request.password.utf8.count > 1024 {
      throw Validation.invalid("password", "must be at most 1024 bytes")
    }
    let source = Self.source(context)
    let attempt = try await throttledAttempt(username: username, source: source, action: "login")
    let actor = "username:\(username.lowercased())"
    let user = try await store.user(username: username)
    let matches = try await hasher.verify(
      request.password, against: user?.passwordHash ?? dummyHash)
    guard let user, matches, !user.disabled else {
      await auditAttempt(
        AuditRecord(
          at: now, actor: actor, action: "login", target: user.map { "user:\($0.id)" } ?? actor,
          outcome: "failed", organisations: user?.memberships.map(\.organisationID) ?? [],
          source: source, detail: user?.disabled == true ? "user disabled" : "wrong credentials"))
      throw RPCError(.unauthenticated, "invalid username or password")
    }
    try await attemptSucceeded(attempt)
    if hasher.needsRehash(user.passwordHash) {
      let old = user.passwordHash
      let upgraded = try await hasher.hash(request.password)
      let parameters = hasher.parameters.description
      let at = now
      _ = try await store.modifyUser(id: user.id, revocationExpiry: revocationExpiry) { user in
        // Only when the hash is still the one just checked (not changed meanwhile).
        if user.passwordHash == old { user.passwordHash = upgraded }
        return UserUpdate(
          audit: AuditRecord(
            at: at, actor: user.subject, action: "user.password.rehash",
            target: user.subject, organisations: user.memberships.map(\.organisationID),
            source: source, detail: parameters))
      }
    }
    return try await startSession(user, context: context)
  }

  /// The throttle keys of one attempt to prove a password.
  struct PasswordAttempt {
    var userKey: String
    var addressKey: String
  }

  /// Counts an attempt to prove `username`'s password from `source` as a failure before it is
  /// checked — atomically, so parallel guesses cannot all slip in under the limit — then
  /// waits the delay the throttle asks for, or ends the call with RESOURCE_EXHAUSTED (and
  /// `retry-after`) while the username or the address is locked. Logins and password changes
  /// share it: both are guesses at a password.
  func throttledAttempt(
    username: String, source: String, action: String
  ) async throws -> PasswordAttempt {
    let userKey = LoginThrottlePolicy.userKey(username)
    let addressKey = LoginThrottlePolicy.addressKey(source)
    let throttle = configuration.throttle
    let attemptAt = now
    let before = try await store.updateThrottles(keys: [userKey, addressKey]) { records in
      let decision = throttle.decision(
        user: records[userKey], address: records[addressKey], now: attemptAt)
      if case .locked = decision { return [] }
      return throttle.failing(
        user: records[userKey], userKey: userKey, address: records[addressKey],
        addressKey: addressKey, now: attemptAt)
    }
    switch throttle.decision(user: before[userKey], address: before[addressKey], now: attemptAt) {
    case .locked(let until):
      let actor = "username:\(username.lowercased())"
      await auditAttempt(
        AuditRecord(
          at: attemptAt, actor: actor, action: action, target: actor, outcome: "denied",
          source: source, detail: "locked after repeated failures"))
      let seconds = max(1, (until - attemptAt + 999_999) / 1_000_000)
      throw RPCError(
        .resourceExhausted,
        "too many failed \(action == "login" ? "logins" : "password attempts"); try again in \(seconds) s",
        metadata: Metadata(["retry-after": "\(seconds)"]))
    case .proceed(let delay):
      if delay > 0 { try await Task.sleep(for: .microseconds(delay)) }
    }
    return PasswordAttempt(userKey: userKey, addressKey: addressKey)
  }

  /// The password was right: the username's count starts again, the address's drops by one.
  func attemptSucceeded(_ attempt: PasswordAttempt) async throws {
    try await store.clearThrottle(key: attempt.userKey)
    let addressKey = attempt.addressKey
    _ = try await store.updateThrottles(keys: [addressKey]) { records in
      guard var record = records[addressKey], record.failures > 0 else { return [] }
      record.failures -= 1
      return [record]
    }
  }

  /// Opens a login session: an access token and the session's first refresh token.
  func startSession(
    _ user: UserRecord, context: ServerContext
  ) async throws
    -> Ordp_Identity_V1_TokenResponse
  {
    let sessionID = "s-" + UUID().uuidString.lowercased()
    let createdAt = now
    let session = SessionRecord(
      id: sessionID, userID: user.id, createdAt: createdAt,
      expiresAt: createdAt + configuration.sessionLifetime, revokedAt: nil)
    let refresh = "ordpr_" + Self.randomSecret()
    try await store.createSession(
      session,
      token: RefreshTokenRecord(
        hash: Self.sha256(refresh), sessionID: sessionID, issuedAt: createdAt,
        expiresAt: session.expiresAt, usedAt: nil),
      audit: AuditRecord(
        at: createdAt, actor: user.subject, action: "login", target: user.subject,
        organisations: user.memberships.map(\.organisationID), source: Self.source(context),
        detail: "session \(sessionID)"))
    return try await tokenResponse(user, session: session, refreshToken: refresh)
  }

  func tokenResponse(
    _ user: UserRecord, session: SessionRecord, refreshToken: String
  ) async throws
    -> Ordp_Identity_V1_TokenResponse
  {
    let (memberships, scopes) = try await userGrants(user)
    let (token, _) = try await issueAccessToken(
      subject: user.subject, name: user.username, kind: .user, memberships: memberships,
      scopes: scopes, platformAdmin: user.platformAdmin, session: session.id)
    var response = Ordp_Identity_V1_TokenResponse()
    response.accessToken = token
    response.tokenType = "Bearer"
    response.expiresInSeconds = UInt32(configuration.accessTokenLifetime / 1_000_000)
    response.refreshToken = refreshToken
    response.refreshExpiresInSeconds = UInt32(max(0, (session.expiresAt - now) / 1_000_000))
    response.subject = user.subject
    response.scopes = scopes.map(\.rawValue)
    return response
  }

  public func refresh(
    request: Ordp_Identity_V1_RefreshRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_TokenResponse
  {
    let presented = try Validation.required(
      request.refreshToken, field: "refresh_token", maximumLength: 200)
    let next = "ordpr_" + Self.randomSecret()
    let at = now
    let outcome = try await store.useRefreshToken(
      hash: Self.sha256(presented),
      next: RefreshTokenRecord(
        hash: Self.sha256(next), sessionID: "", issuedAt: at, expiresAt: at, usedAt: nil),
      now: at, revocationExpiry: revocationExpiry)
    switch outcome {
    case .invalid:
      throw RPCError(.unauthenticated, "refresh token is invalid or expired")
    case .reused(let session):
      await auditAttempt(
        AuditRecord(
          at: at, actor: "user:\(session.userID)", action: "token.refresh",
          target: "session:\(session.id)", outcome: "denied", source: Self.source(context),
          detail: "refresh token used twice; session revoked"))
      throw RPCError(
        .unauthenticated, "refresh token was already used; the session has been revoked")
    case .rotated(let session):
      guard let user = try await store.user(id: session.userID), !user.disabled else {
        throw RPCError(.unauthenticated, "refresh token is invalid or expired")
      }
      // The successor expires with the session.
      await auditAttempt(
        AuditRecord(
          at: at, actor: user.subject, action: "token.refresh", target: "session:\(session.id)",
          organisations: user.memberships.map(\.organisationID), source: Self.source(context)))
      return try await tokenResponse(user, session: session, refreshToken: next)
    }
  }

  public func logout(
    request: Ordp_Identity_V1_LogoutRequest, context: ServerContext
  ) async throws
    -> Ordp_Identity_V1_LogoutResponse
  {
    let presented = try Validation.required(
      request.refreshToken, field: "refresh_token", maximumLength: 200)
    let ended = try await store.endSession(
      refreshTokenHash: Self.sha256(presented), now: now, revocationExpiry: revocationExpiry,
      audit: AuditRecord(
        at: now, actor: "anonymous", action: "logout", target: "session",
        source: Self.source(context)))
    guard ended != nil else {
      throw RPCError(.unauthenticated, "refresh token is invalid or expired")
    }
    return .init()
  }

  public func exchangeApiKey(
    request: Ordp_Identity_V1_ExchangeApiKeyRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_TokenResponse {
    let presented = try Validation.required(request.apiKey, field: "api_key", maximumLength: 200)
    let parts = presented.split(separator: "_", maxSplits: 2)
    let at = now
    guard parts.count == 3, parts[0] == "ordpk",
      let key = try await store.apiKey(id: String(parts[1])),
      PasswordHasher.constantTimeEqual(Self.sha256(String(parts[2])), key.secretHash)
    else {
      await auditAttempt(
        AuditRecord(
          at: at, actor: "anonymous", action: "apikey.exchange", target: "apikey",
          outcome: "failed", source: Self.source(context), detail: "unknown key or wrong secret"))
      throw RPCError(.unauthenticated, "invalid API key")
    }
    if key.revokedAt != nil {
      throw RPCError(.unauthenticated, "API key \(key.id) has been revoked")
    }
    if let expiresAt = key.expiresAt, expiresAt <= at {
      throw RPCError(.unauthenticated, "API key \(key.id) expired")
    }
    guard let account = try await store.serviceAccount(id: key.serviceAccountID),
      let organisation = try await store.organisation(id: key.organisationID)
    else { throw RPCError(.unauthenticated, "invalid API key") }
    guard organisation.active else {
      throw RPCError(.permissionDenied, "organisation \(organisation.id) is deactivated")
    }
    var scopes = key.scopes
    if request.scopes.count > Scope.allCases.count * 4 {
      throw Validation.invalid("scopes", "at most \(Scope.allCases.count * 4) entries")
    }
    if !request.scopes.isEmpty {
      let requested = try Validation.scopes(request.scopes, field: "scopes")
      if let missing = requested.first(where: { !key.scopes.contains($0) }) {
        throw Validation.invalid(
          "scopes", "\(missing.rawValue) is not granted to API key \(key.id)")
      }
      scopes = requested
    }
    let (token, _) = try await issueAccessToken(
      subject: account.subject, name: account.name, kind: .service,
      memberships: [.init(id: account.organisationID, role: .service)], scopes: scopes,
      platformAdmin: false, session: "apikey:\(key.id)")
    // The last use is written at most once a minute per key; the audit record always.
    let touch = key.lastUsedAt.map { at - $0 > 60_000_000 } ?? true
    try await store.recordAPIKeyUse(
      id: key.id, touch: touch,
      audit: AuditRecord(
        at: at, actor: account.subject, action: "apikey.exchange", target: "apikey:\(key.id)",
        organisations: [account.organisationID], source: Self.source(context),
        detail: scopes.map(\.rawValue).joined(separator: " ")))
    var response = Ordp_Identity_V1_TokenResponse()
    response.accessToken = token
    response.tokenType = "Bearer"
    response.expiresInSeconds = UInt32(configuration.accessTokenLifetime / 1_000_000)
    response.subject = account.subject
    response.scopes = scopes.map(\.rawValue)
    return response
  }

  public func getPublicKeys(
    request: Ordp_Identity_V1_GetPublicKeysRequest, context: ServerContext
  )
    async throws -> Ordp_Identity_V1_PublicKeySet
  {
    let published = await keys.publishedKeys(now: now)
    var set = Ordp_Identity_V1_PublicKeySet()
    set.issuer = configuration.issuer
    set.audience = configuration.audience
    set.activeKeyID = await keys.activeKey?.id ?? ""
    var jwks: [[String: String]] = []
    for record in published {
      guard let publicKey = record.publicKey else { continue }
      var key = Ordp_Identity_V1_PublicKey()
      key.keyID = record.id
      key.algorithm = "EdDSA"
      key.curve = "Ed25519"
      key.publicKey = publicKey.rawRepresentation
      key.createdAtMicros = record.createdAt
      key.retiredAtMicros = record.retiredAt ?? 0
      set.keys.append(key)
      let x = publicKey.rawRepresentation.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
      jwks.append([
        "kty": "OKP", "crv": "Ed25519", "x": x, "kid": record.id, "alg": "EdDSA", "use": "sig",
      ])
    }
    let data = try JSONSerialization.data(
      withJSONObject: ["keys": jwks], options: [.sortedKeys])
    set.jwksJson = String(decoding: data, as: UTF8.self)
    return set
  }

  /// Revocations per response at most.
  static let revocationPageSize = 10_000

  public func listRevocations(
    request: Ordp_Identity_V1_ListRevocationsRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_ListRevocationsResponse {
    guard let after = Int64(exactly: request.afterSequence) else {
      throw Validation.invalid("after_sequence", "must be at most 2^63 - 1")
    }
    let page = try await store.revocations(
      after: after, now: now, limit: Self.revocationPageSize)
    var response = Ordp_Identity_V1_ListRevocationsResponse()
    response.revocations = page.entries.map(\.wire)
    response.latestSequence = page.latest
    response.more = page.more
    return response
  }

  public func rotateSigningKey(
    request: Ordp_Identity_V1_RotateSigningKeyRequest, context: ServerContext
  ) async throws -> Ordp_Identity_V1_RotateSigningKeyResponse {
    let principal = try requirePlatformAdmin(context)
    let rotated = try await keys.rotate(
      now: now, audit: audit(context, principal, "signingkey.rotate", target: "signing-keys"))
    var response = Ordp_Identity_V1_RotateSigningKeyResponse()
    response.activeKeyID = rotated.new
    response.retiredKeyID = rotated.old ?? ""
    return response
  }
}
