import Crypto
import Foundation
import GRDB
import JWTKit
import ORDPAuth
import ORDPIdentityAPI
import ORDPRPC
import ORDPTestSupport
import Testing

/// Through the real executable over TLS: tokens that must be refused, refresh rotation, logout.
@Suite struct TokenTests {
  /// Signs `claims` with `key` under `kid`, as an attacker (or a broken issuer) would.
  static func sign(
    _ claims: AccessTokenClaims, key: Curve25519.Signing.PrivateKey, kid: String
  )
    async throws -> String
  {
    let keys = JWTKeyCollection()
    await keys.add(eddsa: EdDSA.PrivateKey(backing: key), kid: JWKIdentifier(string: kid))
    return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
  }

  /// The claims of `token`, unverified.
  static func claims(_ token: String) throws -> AccessTokenClaims {
    try DefaultJWTParser().parse(Array(token.utf8), as: AccessTokenClaims.self).payload
  }

  /// Identity's real signing key, read from its database (white box: to make tokens that are
  /// correctly signed but wrong in one claim).
  static func realKey(_ identity: IdentityProcess) throws -> (String, Curve25519.Signing.PrivateKey)
  {
    let queue = try DatabaseQueue(
      path: identity.dataDirectory.appendingPathComponent("identity.sqlite").path)
    return try queue.read { db in
      let row = try #require(
        try Row.fetchOne(
          db, sql: "SELECT id, private_key FROM signing_key WHERE retired_at IS NULL"))
      let raw: Data = row["private_key"]
      return (row["id"], try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }
  }

  @Test func forgedExpiredWrongAudienceAndMalformedTokensAreRefused() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let token = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    let me = try await client.getUser(.init(), options: bearer(token))
    #expect(me.username == "admin" && me.platformAdmin)
    let good = try Self.claims(token)
    let (kid, realKey) = try Self.realKey(identity)
    #expect(
      try JWTKit.DefaultJWTParser().parse(Array(token.utf8), as: AccessTokenClaims.self).header.kid
        == kid)

    func refusal(_ token: String) async -> String? {
      let error = await statusOf { try await client.getUser(.init(), options: bearer(token)) }
      #expect(error?.code == .unauthenticated, "\(error?.description ?? "accepted")")
      return error?.message
    }

    // Signed by someone else under the real key id.
    let forged = try await Self.sign(good, key: Curve25519.Signing.PrivateKey(), kid: kid)
    #expect(await refusal(forged)?.contains("signature") == true)
    // The real token with its payload changed.
    var elevated = good
    elevated.name = "mallory"
    let otherPayload = try await Self.sign(elevated, key: Curve25519.Signing.PrivateKey(), kid: kid)
    let parts = token.split(separator: ".")
    let spliced = [parts[0], otherPayload.split(separator: ".")[1], parts[2]].joined(separator: ".")
    #expect(await refusal(spliced)?.contains("signature") == true)
    // Correctly signed, but expired (beyond the 30 s leeway).
    var expired = good
    expired.exp = .init(value: Date().addingTimeInterval(-120))
    expired.iat = .init(value: Date().addingTimeInterval(-600))
    expired.nbf = expired.iat.asNotBefore
    #expect(
      await refusal(try await Self.sign(expired, key: realKey, kid: kid))?.contains("expired")
        == true)
    // Correctly signed, for another audience.
    var elsewhere = good
    elsewhere.aud = .init(value: ["some-other-platform"])
    #expect(
      await refusal(try await Self.sign(elsewhere, key: realKey, kid: kid))?.contains("audience")
        == true)
    // Correctly signed, another issuer.
    var issuer = good
    issuer.iss = .init(value: "evil-identity")
    #expect(
      await refusal(try await Self.sign(issuer, key: realKey, kid: kid))?.contains("issuer") == true
    )
    // Not yet valid.
    var future = good
    future.nbf = .init(value: Date().addingTimeInterval(600))
    #expect(
      await refusal(try await Self.sign(future, key: realKey, kid: kid))?.contains("not valid yet")
        == true)
    // Unknown key id, "none" algorithm, garbage, wrong scheme.
    #expect(
      await refusal(try await Self.sign(good, key: realKey, kid: "no-such-key"))?.contains(
        "unknown key") == true)
    let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
      .replacingOccurrences(of: "=", with: "")
    #expect(await refusal("\(header).\(parts[1]).")?.contains("algorithm") == true)
    #expect(await refusal("not.a.token")?.contains("malformed") == true)
    #expect(await refusal(String(repeating: "a", count: 20_000))?.contains("longer") == true)
    var basic = bearer(token)
    basic.metadata.replace("authorization", "Basic YWRtaW46YWRtaW4=")
    let wrongScheme = await statusOf { try await client.getUser(.init(), options: basic) }
    #expect(wrongScheme?.code == .unauthenticated)
    let none = await statusOf { try await client.getUser(.init()) }
    #expect(none?.code == .unauthenticated)

    // And the good token still works after all that.
    #expect(try await client.getUser(.init(), options: bearer(token)).username == "admin")
  }

  @Test func refreshRotatesAndReuseRevokesTheWholeSession() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let first = try await client.login("admin", IdentityProcess.adminPassword)
    #expect(first.refreshToken.hasPrefix("ordpr_"))
    #expect(first.tokenType == "Bearer" && first.expiresInSeconds == 300)

    var refresh = Ordp_Identity_V1_RefreshRequest()
    refresh.refreshToken = first.refreshToken
    let second = try await client.refresh(refresh)
    #expect(second.refreshToken != first.refreshToken)
    #expect(try Self.claims(second.accessToken).sid == Self.claims(first.accessToken).sid)
    #expect(
      try await client.getUser(.init(), options: bearer(second.accessToken)).username == "admin")

    // The used token again: a copy is in someone else's hands. The whole session ends.
    let reuse = await statusOf { try await client.refresh(refresh) }
    #expect(reuse?.code == .unauthenticated)
    #expect(reuse?.message.contains("already used") == true)
    refresh.refreshToken = second.refreshToken
    #expect(await statusOf { try await client.refresh(refresh) }?.code == .unauthenticated)
    // Access tokens of the session are refused once the revocation is known (bounded: the
    // verifier synchronises every second here).
    try await expectEventuallyRefused(client, second.accessToken)
    try await expectEventuallyRefused(client, first.accessToken)

    // Another login is unaffected.
    let other = try await client.login("admin", IdentityProcess.adminPassword)
    #expect(try await client.getUser(.init(), options: bearer(other.accessToken)).platformAdmin)
    refresh.refreshToken = "ordpr_not-a-token"
    #expect(await statusOf { try await client.refresh(refresh) }?.code == .unauthenticated)
    refresh.refreshToken = ""
    #expect(await statusOf { try await client.refresh(refresh) }?.code == .invalidArgument)
  }

  @Test func logoutAndPasswordChangeRevoke() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let root = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    _ = try await client.createUser("olpe.editor", in: "olpe", role: .editor, token: root)
    let session = try await client.login("olpe.editor", "Correct-Horse-Battery-7")
    var logout = Ordp_Identity_V1_LogoutRequest()
    logout.refreshToken = session.refreshToken
    _ = try await client.logout(logout)
    try await expectEventuallyRefused(client, session.accessToken)
    var refresh = Ordp_Identity_V1_RefreshRequest()
    refresh.refreshToken = session.refreshToken
    #expect(await statusOf { try await client.refresh(refresh) }?.code == .unauthenticated)

    let again = try await client.login("olpe.editor", "Correct-Horse-Battery-7")
    var change = Ordp_Identity_V1_ChangePasswordRequest()
    change.currentPassword = "wrong-current-password"
    change.newPassword = "A-Brand-New-Passphrase-2"
    #expect(
      await statusOf {
        try await client.changePassword(change, options: bearer(again.accessToken))
      }?.code == .permissionDenied)
    change.currentPassword = "Correct-Horse-Battery-7"
    change.newPassword = "passwort2024!"
    let weak = await statusOf {
      try await client.changePassword(change, options: bearer(again.accessToken))
    }
    #expect(weak?.code == .invalidArgument && weak?.message.hasPrefix("new_password:") == true)
    change.newPassword = "A-Brand-New-Passphrase-2"
    _ = try await client.changePassword(change, options: bearer(again.accessToken))
    try await expectEventuallyRefused(client, again.accessToken)
    #expect(
      await statusOf { try await client.login("olpe.editor", "Correct-Horse-Battery-7") }?.code
        == .unauthenticated)
    _ = try await client.login("olpe.editor", "A-Brand-New-Passphrase-2")
  }

  @Test func signingKeysRotateAndOldTokensKeepVerifying() async throws {
    let identity = try await IdentityProcess.start()
    defer { identity.stop() }
    let channel = try identity.channel()
    defer { channel.close() }
    let client = Ordp_Identity_V1_Identity_Client(channel: channel)
    let before = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    let keysBefore = try await client.getPublicKeys(.init())
    #expect(keysBefore.keys.count == 1)
    let rotated = try await client.rotateSigningKey(.init(), options: bearer(before))
    #expect(rotated.retiredKeyID == keysBefore.activeKeyID)
    let keysAfter = try await client.getPublicKeys(.init())
    #expect(keysAfter.activeKeyID == rotated.activeKeyID)
    #expect(Set(keysAfter.keys.map(\.keyID)) == [rotated.activeKeyID, rotated.retiredKeyID])
    #expect(keysAfter.jwksJson.contains("\"kty\":\"OKP\""))
    let after = try await client.login("admin", IdentityProcess.adminPassword).accessToken
    #expect(
      try DefaultJWTParser().parse(Array(after.utf8), as: AccessTokenClaims.self).header.kid
        == rotated.activeKeyID)
    // Both verify.
    #expect(try await client.getUser(.init(), options: bearer(before)).username == "admin")
    #expect(try await client.getUser(.init(), options: bearer(after)).username == "admin")
    // The audit has the rotation.
    var audit = Ordp_Identity_V1_QueryAuditRequest()
    audit.actor = try Self.claims(after).sub.value
    let events = try await client.queryAudit(audit, options: bearer(after)).events
    #expect(events.contains { $0.action == "signingkey.rotate" })
  }
}

/// Waits (at most 5 s) until `token` is refused as revoked.
func expectEventuallyRefused(
  _ client: Ordp_Identity_V1_Identity_Client, _ token: String
) async throws {
  for _ in 0..<50 {
    let error = await statusOf { try await client.getUser(.init(), options: bearer(token)) }
    if let error {
      #expect(error.code == .unauthenticated)
      #expect(error.message.contains("revoked"))
      return
    }
    try await Task.sleep(for: .milliseconds(100))
  }
  Issue.record("token still accepted 5 s after its revocation")
}

extension IssuedAtClaim {
  var asNotBefore: NotBeforeClaim { NotBeforeClaim(value: value) }
}
