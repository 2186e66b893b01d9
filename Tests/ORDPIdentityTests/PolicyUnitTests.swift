import Foundation
import NIOPosix
import ORDPIdentity
import ORDPTestSupport
import Testing

@Suite struct PolicyUnitTests {
  @Test func passwordPolicy() throws {
    let policy = try PasswordPolicy.standard()
    #expect(
      policy.problem(with: "short", username: "anna") == "must be at least 12 characters long")
    #expect(policy.problem(with: "passwortpasswort", username: "anna") == "is too common")
    #expect(policy.problem(with: "Schalke04!!!!", username: "anna") == "is too common")
    #expect(policy.problem(with: "123456789012", username: "anna") == "is too common")
    #expect(policy.problem(with: "aaaaaaaaaaaaaaa", username: "anna") == "is too common")
    #expect(
      policy.problem(with: "anna-is-great-2024", username: "anna")
        == "must not contain the username")
    #expect(policy.problem(with: "Correct-Horse-Battery-7", username: "anna") == nil)
    #expect(policy.problem(with: "Grüne Wiese am Möhnesee", username: "anna") == nil)
  }

  @Test func throttleSlowsThenLocksThenForgets() {
    var policy = LoginThrottlePolicy()
    policy.freeFailures = 2
    policy.userLockThreshold = 5
    let now: Micros = 1_000_000_000
    var user: ThrottleRecord?
    var delays: [Micros] = []
    for step in 0..<5 {
      guard
        case .proceed(let delay) = policy.decision(user: user, address: nil, now: now + Int64(step))
      else {
        Issue.record("locked too early at attempt \(step)")
        return
      }
      delays.append(delay)
      user =
        policy.failing(
          user: user, userKey: "user:anna", address: nil, addressKey: "address:x",
          now: now + Int64(step))[0]
    }
    #expect(delays == [0, 0, 500_000, 1_000_000, 2_000_000])
    #expect(
      policy.decision(user: user, address: nil, now: now + 10)
        == .locked(until: now + 4 + policy.userLockDuration))
    // After the lock: counting starts again.
    let later = now + 5 + policy.userLockDuration
    #expect(policy.decision(user: user, address: nil, now: later) == .proceed(delay: 0))
    // An address lock holds for every username from it.
    let address = ThrottleRecord(
      key: "address:x", failures: 100, windowStart: now, lockedUntil: now + 60_000_000)
    #expect(
      policy.decision(user: nil, address: address, now: now + 1) == .locked(until: now + 60_000_000)
    )
  }

  @Test func hashesVerifyAndUpgrade() async throws {
    let pool = NIOThreadPool(numberOfThreads: 1)
    pool.start()
    let weak = PasswordHasher(parameters: ScryptParameters(logN: 8), pool: pool)
    let strong = PasswordHasher(parameters: ScryptParameters(logN: 10), pool: pool)
    let hash = try await weak.hash("Correct-Horse-Battery-7")
    #expect(hash.hasPrefix("scrypt$ln=8,r=8,p=1$"))
    #expect(try await strong.verify("Correct-Horse-Battery-7", against: hash))
    #expect(try await !strong.verify("Correct-Horse-Battery-8", against: hash))
    #expect(try await !strong.verify("x", against: "scrypt$garbage"))
    #expect(strong.needsRehash(hash))
    #expect(!weak.needsRehash(hash))
    // Same password, different salt.
    #expect(try await weak.hash("Correct-Horse-Battery-7") != hash)
    try await pool.shutdownGracefully()
  }
}
