import Foundation
import ORDPAuth
import ORDPIdentityAPI
import ORDPRPC

/// Checks of request fields; every failure is INVALID_ARGUMENT naming the field.
enum Validation {
  static func invalid(_ field: String, _ problem: String) -> RPCError {
    RPCError(.invalidArgument, "\(field): \(problem)")
  }

  static func required(_ value: String, field: String, maximumLength: Int = 256) throws -> String {
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty { throw invalid(field, "is required") }
    if trimmed.count > maximumLength {
      throw invalid(field, "must be at most \(maximumLength) characters")
    }
    return trimmed
  }

  static func organisationID(_ id: String, field: String) throws {
    if let problem = OrganisationID.problem(id) { throw invalid(field, problem) }
  }

  /// A municipality key (Amtlicher Gemeindeschlüssel): empty, or exactly 8 digits.
  static func municipalityKey(_ key: String, field: String) throws {
    guard key.isEmpty || (key.utf8.count == 8 && key.utf8.allSatisfy { (48...57).contains($0) })
    else { throw invalid(field, "must be 8 digits (Amtlicher Gemeindeschlüssel), or empty") }
  }

  /// Usernames: 3–64 characters of letters, digits, '.', '_', '-', '@'.
  static func username(_ name: String, field: String = "username") throws -> String {
    let trimmed = name.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { throw invalid(field, "is required") }
    let allowed = trimmed.unicodeScalars.allSatisfy {
      CharacterSet.alphanumerics.contains($0) || "._-@".unicodeScalars.contains($0)
    }
    guard allowed, (3...64).contains(trimmed.count) else {
      throw invalid(field, "must be 3–64 characters of letters, digits, '.', '_', '-' and '@'")
    }
    return trimmed
  }

  static func email(_ email: String) throws -> String {
    let trimmed = email.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return "" }
    let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), trimmed.count <= 254,
      !trimmed.contains(" ")
    else { throw invalid("email", "\"\(trimmed.prefix(80))\" is not an e-mail address") }
    return trimmed
  }

  static func role(_ role: Ordp_Identity_V1_Role, field: String) throws -> MemberRole {
    switch role {
    case .viewer: return .viewer
    case .editor: return .editor
    case .admin: return .admin
    default: throw invalid(field, "must be ROLE_VIEWER, ROLE_EDITOR or ROLE_ADMIN")
    }
  }

  static func scopes(_ values: [String], field: String) throws -> [Scope] {
    var scopes: [Scope] = []
    for value in values {
      guard let scope = Scope(rawValue: value) else {
        throw invalid(
          field,
          "unknown scope \"\(value.prefix(80))\" (known: \(Scope.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
      if !scopes.contains(scope) { scopes.append(scope) }
    }
    return scopes
  }

  /// Page sizes above the maximum are lowered to it (as Google's APIs do).
  static func pageSize(_ requested: UInt32, defaultSize: Int, maximum: Int) -> Int {
    requested == 0 ? defaultSize : min(Int(requested), maximum)
  }
}
