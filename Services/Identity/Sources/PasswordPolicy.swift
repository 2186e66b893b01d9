import Foundation

/// What a new password must be: at least `minimumLength` characters, not a common password
/// (also not one followed by digits or symbols, e.g. "Passwort2024!"), not containing the
/// username, and with some variety.
public struct PasswordPolicy: Sendable {
  public var minimumLength: Int = 12
  public var maximumLength: Int = 256
  private let common: Set<String>

  public init(commonPasswords: Set<String>) {
    self.common = commonPasswords
  }

  /// The policy with the common-password list shipped in the service's resources.
  public static func standard() throws -> PasswordPolicy {
    guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt") else {
      throw CocoaError(.fileNoSuchFile)
    }
    let text = try String(contentsOf: url, encoding: .utf8)
    let words = text.split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces).lowercased()
    }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    return PasswordPolicy(commonPasswords: Set(words))
  }

  /// Why `password` is not acceptable, or nil when it is.
  public func problem(with password: String, username: String) -> String? {
    let length = password.count
    if length < minimumLength { return "must be at least \(minimumLength) characters long" }
    if length > maximumLength { return "must be at most \(maximumLength) characters long" }
    let lowered = password.lowercased()
    let stem = String(lowered.reversed().drop(while: { !$0.isLetter }).reversed())
    if common.contains(lowered) || isRepetition(of: stem) || isCommonWithSuffix(lowered) {
      return "is too common"
    }
    if !username.isEmpty, lowered.contains(username.lowercased()) {
      return "must not contain the username"
    }
    if Set(password).count < 5 { return "needs at least 5 different characters" }
    return nil
  }

  /// A common password followed only by digits or symbols ("Schalke04!!!!", "123456789012").
  private func isCommonWithSuffix(_ lowered: String) -> Bool {
    common.contains { word in
      word.count >= 4 && lowered.hasPrefix(word)
        && lowered.dropFirst(word.count).allSatisfy { !$0.isLetter }
    }
  }

  /// "passwortpasswort", "abcabcabcabc": a common word repeated.
  private func isRepetition(of stem: String) -> Bool {
    let characters = Array(stem)
    guard characters.count >= 4 else { return false }
    for size in 1...(characters.count / 2) where characters.count % size == 0 {
      let unit = characters[0..<size]
      var repeated = true
      var index = size
      while index < characters.count {
        if characters[index..<(index + size)] != unit {
          repeated = false
          break
        }
        index += size
      }
      if repeated && (size < 4 || common.contains(String(unit))) { return true }
    }
    return false
  }
}
