import Foundation

/// The dcat-ap.de licence vocabulary (`http://dcat-ap.de/def/licenses/<id>`, the list GovData's
/// `license_list` serves) and how licences written elsewhere map onto it: the vocabulary's
/// older ids ("dl-by-de/2_0"), CKAN's licence ids ("cc-by", "odc-odbl", "dl-de-by-2.0") and
/// Creative Commons URLs. I/O-free.
public enum DCATLicences {
  public static let base = "http://dcat-ap.de/def/licenses/"

  /// The vocabulary's current ids.
  public static let ids: Set<String> = [
    "apache", "bsd", "cc-by", "cc-by-de/3.0", "cc-by-nc", "cc-by-nc-de/3.0", "cc-by-nc/4.0",
    "cc-by-nd", "cc-by-nd/3.0", "cc-by-nd/4.0", "cc-by-sa", "cc-by-sa-de/3.0", "cc-by-sa/4.0",
    "cc-by/4.0", "cc-zero", "ccpdm/1.0", "dl-by-de/1.0", "dl-by-de/2.0", "dl-by-nc-de/1.0",
    "dl-zero-de/2.0", "geoNutz/20131001", "geonutz/20130319", "gfdl", "gpl/3.0", "mozilla",
    "odbl", "odby", "odcpddl", "officialWork", "other-closed", "other-commercial",
    "other-freeware", "other-open", "other-opensource",
  ]

  static let lowercasedIDs = Dictionary(
    ids.map { ($0.lowercased(), $0) }, uniquingKeysWith: { a, _ in a })

  /// Older ids of the vocabulary and other spellings, lower-cased, with the id they mean.
  static let aliases: [String: String] = [
    // Older DCAT-AP.de ids.
    "dl-by-de/1_0": "dl-by-de/1.0", "dl-by-de/2_0": "dl-by-de/2.0",
    "dl-zero-de/2_0": "dl-zero-de/2.0", "dl-by-nc-de/1_0": "dl-by-nc-de/1.0",
    "cc-by/4_0": "cc-by/4.0", "cc-by-de/3_0": "cc-by-de/3.0", "cc-by-sa/4_0": "cc-by-sa/4.0",
    "cc-by-nd/3_0": "cc-by-nd/3.0", "cc-by-nd/4_0": "cc-by-nd/4.0",
    "cc-by-nc-de/4_0": "cc-by-nc/4.0", "cc-nc": "cc-by-nc", "cc-nc/3_0": "cc-by-nc-de/3.0",
    "gpl/30": "gpl/3.0", "od-bc": "odby", "od-bl": "odbl", "odc-pddl": "odcpddl",
    "cc-pdm/1_0": "ccpdm/1.0", "official-work": "officialWork",
    // CKAN's licence ids and common spellings.
    "dl-de-by-1.0": "dl-by-de/1.0", "dl-de-by-2.0": "dl-by-de/2.0",
    "dl-de-zero-2.0": "dl-zero-de/2.0", "dl-de-by-nc-1.0": "dl-by-nc-de/1.0",
    "cc-by-4.0": "cc-by/4.0", "cc-by-sa-4.0": "cc-by-sa/4.0", "cc-by-nd-4.0": "cc-by-nd/4.0",
    "cc-by-nc-4.0": "cc-by-nc/4.0", "cc0": "cc-zero", "cc0-1.0": "cc-zero",
    "odc-odbl": "odbl", "odc-by": "odby", "gpl-3.0": "gpl/3.0", "mpl-2.0": "mozilla",
    "apache-2.0": "apache", "other-pd": "other-open", "other-at": "other-open",
    "other-nc": "other-closed",
  ]

  /// Creative Commons licence paths (`creativecommons.org/licenses/<path>/<version>`).
  static let creativeCommons: [String: String] = [
    "by": "cc-by", "by-sa": "cc-by-sa", "by-nd": "cc-by-nd", "by-nc": "cc-by-nc",
  ]

  /// The vocabulary id `raw` means, or nil when it means none of them (empty, "notspecified",
  /// a licence outside the vocabulary).
  public static func id(_ raw: String) -> String? {
    var text = raw.trimmingCharacters(in: .whitespaces)
    for prefix in [base, "https://dcat-ap.de/def/licenses/"] where text.hasPrefix(prefix) {
      text = String(text.dropFirst(prefix.count))
    }
    if ids.contains(text) { return text }  // what the catalogue stores: the export's case
    if text.isEmpty { return nil }
    let lower = text.lowercased()
    if let id = lowercasedIDs[lower] { return id }
    if let id = aliases[lower] { return id }
    return creativeCommonsID(lower)
  }

  /// `http(s)://creativecommons.org/licenses/by/4.0/` and the like; CC0 from `publicdomain`.
  static func creativeCommonsID(_ url: String) -> String? {
    guard let range = url.range(of: "creativecommons.org/") else { return nil }
    let parts = url[range.upperBound...].split(separator: "/").map(String.init)
    if parts.first == "publicdomain" {
      return parts.dropFirst().first == "zero" ? "cc-zero" : nil
    }
    guard parts.count >= 2, parts[0] == "licenses", let kind = creativeCommons[parts[1]] else {
      return nil
    }
    let version = parts.count > 2 ? parts[2] : ""
    let german = parts.count > 3 && parts[3] == "de"
    let candidates =
      german ? ["\(kind)-de/\(version)", "\(kind)/\(version)"] : ["\(kind)/\(version)"]
    return candidates.first(where: ids.contains) ?? kind
  }

  /// The IRI of a licence as the export writes it: the vocabulary's when it maps; the
  /// vocabulary's "other-closed" when none is given (no rights are granted by a licence nobody
  /// named); else what is stored, as an IRI (datasets stored before licences were checked).
  public static func iri(_ raw: String) -> String {
    if let id = id(raw) { return base + id }
    if raw.trimmingCharacters(in: .whitespaces).isEmpty { return base + "other-closed" }
    if raw.hasPrefix("http://") || raw.hasPrefix("https://") { return raw }
    return base + DCATMapping.segment(raw)
  }
}
