public import Foundation

/// The towns identity creates on first start, from `organisations.json` (shipped with the
/// service, or a file the operator names).
public struct OrganisationSeed: Decodable, Sendable {
  public struct Entry: Decodable, Sendable {
    public var id: String
    public var displayName: String
    public var kind: OrganisationRecord.Kind
    /// Amtlicher Gemeindeschlüssel (8 digits), when given.
    public var municipalityKey: String?
  }

  public var organisations: [Entry]

  /// Reads `file`, or the file shipped with the service when nil.
  public static func load(from file: URL?) throws -> OrganisationSeed {
    guard let url = file ?? Bundle.module.url(forResource: "organisations", withExtension: "json")
    else { throw CocoaError(.fileNoSuchFile) }
    let seed = try JSONDecoder().decode(OrganisationSeed.self, from: Data(contentsOf: url))
    for entry in seed.organisations {
      try Validation.organisationID(
        entry.id, field: "organisations[].id in \(url.lastPathComponent)")
      try Validation.municipalityKey(
        entry.municipalityKey ?? "",
        field: "organisations[].municipalityKey in \(url.lastPathComponent)")
    }
    return seed
  }

  func records(now: Micros) -> [OrganisationRecord] {
    organisations.map {
      OrganisationRecord(
        id: $0.id, displayName: $0.displayName, kind: $0.kind, active: true, createdAt: now,
        municipalityKey: $0.municipalityKey)
    }
  }
}
