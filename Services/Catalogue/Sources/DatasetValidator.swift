import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

/// Checks and normalises a dataset as a client sent it. Every problem is INVALID_ARGUMENT
/// naming the field ("distributions[1].access_url: ..."). I/O-free.
public enum DatasetValidator {
  /// The EU data-theme vocabulary (http://publications.europa.eu/resource/authority/data-theme).
  public static let themes: Set<String> = [
    "AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH",
    "TRAN",
  ]
  static let themeURIPrefix = "http://publications.europa.eu/resource/authority/data-theme/"

  /// Times a dataset may carry: the years 1000 to 9999, in microseconds since 1970 (what
  /// xsd:dateTime writes with four digits).
  static let timeRange: ClosedRange<Int64> = -30_610_224_000_000_000...253_402_300_799_999_999

  static func invalid(_ field: String, _ problem: String) -> RPCError {
    RPCError(.invalidArgument, "\(field): \(problem)")
  }

  /// A licence as the dcat-ap.de vocabulary's id ("dl-by-de/2.0"; older ids, CKAN's ids and
  /// Creative Commons URLs are mapped onto it); empty stays empty (the export then says
  /// "other-closed"); anything else is refused, so that no dataset reaches a harvester with a
  /// licence it cannot read.
  static func license(_ value: String, field: String) throws(RPCError) -> String {
    if value.isEmpty { return "" }
    guard let id = DCATLicences.id(value) else {
      throw invalid(
        field,
        "\(value) is not in the dcat-ap.de licence vocabulary (\(DCATLicences.base)…, e.g. dl-by-de/2.0, dl-zero-de/2.0, cc-by/4.0, other-closed)"
      )
    }
    return id
  }

  /// How many values a repeated field may hold as sent (before duplicates are removed): the
  /// work of a validation is linear and capped before any loop starts.
  static let limits = (
    keywords: 100, keywordsSent: 1000, themes: 100, grants: 100, distributions: 500,
    geocodings: 100
  )

  /// The normalised dataset (trimmed text, deduplicated keywords, theme codes, slug), or the
  /// first problem found.
  public static func validate(
    _ input: Ordp_Catalogue_V1_Dataset
  ) throws(RPCError)
    -> Ordp_Catalogue_V1_Dataset
  {
    var dataset = input
    for (field, count, limit) in [
      ("keywords", dataset.keywords.count, limits.keywordsSent),
      ("themes", dataset.themes.count, limits.themes),
      ("granted_organisations", dataset.grantedOrganisations.count, limits.grants),
      ("distributions", dataset.distributions.count, limits.distributions),
      (
        "spatial.political_geocoding_uris", dataset.spatial.politicalGeocodingUris.count,
        limits.geocodings
      ),
    ] where count > limit {
      throw invalid(field, "at most \(limit) values")
    }
    if dataset.ckanID.utf8.count > 200 { throw invalid("ckan_id", "at most 200 characters") }
    for (field, value) in [
      ("issued_micros", dataset.issuedMicros), ("modified_micros", dataset.modifiedMicros),
    ] where value != 0 && !timeRange.contains(value) {
      throw invalid(field, "must lie in the years 1000 to 9999 (0: set by the service)")
    }
    dataset.publisher = dataset.publisher.trimmingCharacters(in: .whitespaces)
    try organisationID(dataset.publisher, field: "publisher")
    dataset.title = try text(dataset.title, field: "title", required: true, maximum: 1000)
    dataset.description_p = try text(
      dataset.description_p, field: "description", required: true, maximum: 100_000)
    if dataset.slug.isEmpty { dataset.slug = GermanFolding.slug(dataset.title) }
    try slug(dataset.slug, field: "slug")

    // Duplicates (after folding: "Straße" and "strasse" are one keyword) removed in one pass.
    var keywords: [String] = []
    var folded = Set<String>()
    for (index, keyword) in dataset.keywords.enumerated() {
      let value = try text(keyword, field: "keywords[\(index)]", required: true, maximum: 100)
      if folded.insert(GermanFolding.fold(value)).inserted { keywords.append(value) }
    }
    if keywords.count > limits.keywords {
      throw invalid("keywords", "at most \(limits.keywords) keywords")
    }
    dataset.keywords = keywords

    var themes: [String] = []
    for (index, theme) in dataset.themes.enumerated() {
      var code = theme.trimmingCharacters(in: .whitespaces)
      if code.hasPrefix(themeURIPrefix) { code = String(code.dropFirst(themeURIPrefix.count)) }
      code = code.uppercased()
      guard Self.themes.contains(code) else {
        throw invalid(
          "themes[\(index)]",
          "\"\(theme.prefix(80))\" is not an EU data theme (\(Self.themes.sorted().joined(separator: ", ")))"
        )
      }
      if !themes.contains(code) { themes.append(code) }  // at most 13 distinct
    }
    dataset.themes = themes

    if dataset.hasContactPoint {
      let contact = dataset.contactPoint
      dataset.contactPoint.name = try text(
        contact.name, field: "contact_point.name", required: false, maximum: 300)
      if !contact.email.isEmpty { try email(contact.email, field: "contact_point.email") }
      if !contact.url.isEmpty { try url(contact.url, field: "contact_point.url") }
      dataset.contactPoint.phone = try text(
        contact.phone, field: "contact_point.phone", required: false, maximum: 100)
    }
    if dataset.hasSpatial { try spatial(dataset.spatial) }
    if dataset.hasTemporal { try temporal(dataset.temporal) }
    dataset.license = try license(
      try text(dataset.license, field: "license", required: false, maximum: 300), field: "license")
    if !dataset.landingPage.isEmpty { try url(dataset.landingPage, field: "landing_page") }

    switch dataset.accessLevel {
    case .unspecified: dataset.accessLevel = .public
    case .public, .internal, .restricted: break
    case .UNRECOGNIZED(let value):
      throw invalid("access_level", "unknown access level \(value)")
    }
    var granted: [String] = []
    var grantedSet = Set<String>()
    for (index, organisation) in dataset.grantedOrganisations.enumerated() {
      try organisationID(organisation, field: "granted_organisations[\(index)]")
      if organisation != dataset.publisher, grantedSet.insert(organisation).inserted {
        granted.append(organisation)
      }
    }
    if !granted.isEmpty, dataset.accessLevel != .restricted {
      throw invalid("granted_organisations", "only restricted datasets grant access to towns")
    }
    dataset.grantedOrganisations = granted

    var ids = Set<String>()
    for index in dataset.distributions.indices {
      try distribution(&dataset.distributions[index], field: "distributions[\(index)]")
      if !ids.insert(dataset.distributions[index].id).inserted {
        throw invalid("distributions[\(index)].id", "appears twice")
      }
    }
    return dataset
  }

  static func distribution(
    _ distribution: inout Ordp_Catalogue_V1_Distribution, field: String
  )
    throws(RPCError)
  {
    if distribution.id.isEmpty { distribution.id = UUID().uuidString.lowercased() }
    distribution.title = try text(
      distribution.title, field: "\(field).title", required: false, maximum: 1000)
    distribution.description_p = try text(
      distribution.description_p, field: "\(field).description", required: false,
      maximum: 100_000)
    distribution.license = try license(
      try text(distribution.license, field: "\(field).license", required: false, maximum: 300),
      field: "\(field).license")
    if distribution.accessURL.isEmpty { throw invalid("\(field).access_url", "is required") }
    try url(distribution.accessURL, field: "\(field).access_url")
    if !distribution.downloadURL.isEmpty {
      try url(distribution.downloadURL, field: "\(field).download_url")
    }
    distribution.format = try text(
      distribution.format, field: "\(field).format", required: false, maximum: 100)
    if !distribution.mediaType.isEmpty {
      let parts = distribution.mediaType.split(separator: "/")
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
        !distribution.mediaType.contains(" ")
      else {
        throw invalid(
          "\(field).media_type", "\"\(distribution.mediaType.prefix(80))\" is not a media type")
      }
    }
    if distribution.byteSize < 0 { throw invalid("\(field).byte_size", "must not be negative") }
    if distribution.hasChecksum {
      let algorithm = distribution.checksum.algorithm.lowercased()
      let lengths = ["sha256": 64, "sha1": 40, "md5": 32, "sha512": 128]
      guard let length = lengths[algorithm] else {
        throw invalid("\(field).checksum.algorithm", "must be sha256, sha512, sha1 or md5")
      }
      let value = distribution.checksum.value.lowercased()
      guard value.count == length, value.allSatisfy(\.isHexDigit) else {
        throw invalid("\(field).checksum.value", "must be \(length) hex digits for \(algorithm)")
      }
      distribution.checksum.algorithm = algorithm
      distribution.checksum.value = value
    }
  }

  static func spatial(_ spatial: Ordp_Catalogue_V1_SpatialCoverage) throws(RPCError) {
    if spatial.hasBbox_p {
      let box = spatial.bbox
      guard (-180...180).contains(box.west), (-180...180).contains(box.east),
        (-90...90).contains(box.south), (-90...90).contains(box.north)
      else { throw invalid("spatial.bbox", "coordinates out of range (WGS 84 degrees)") }
      guard box.west <= box.east, box.south <= box.north else {
        throw invalid("spatial.bbox", "west must not exceed east, south not north")
      }
    }
    for (index, uri) in spatial.politicalGeocodingUris.enumerated() {
      try url(uri, field: "spatial.political_geocoding_uris[\(index)]")
    }
  }

  static func temporal(_ temporal: Ordp_Catalogue_V1_TemporalCoverage) throws(RPCError) {
    let start = try date(temporal.startDate, field: "temporal.start_date")
    let end = try date(temporal.endDate, field: "temporal.end_date")
    if let start, let end, start > end {
      throw invalid("temporal.end_date", "is before start_date")
    }
  }

  /// ISO 8601 calendar date ("2024-01-31"), returned as comparable text.
  static func date(_ value: String, field: String) throws(RPCError) -> String? {
    if value.isEmpty { return nil }
    // A calendar date and nothing else: ten characters that parse as an ISO 8601 day.
    guard value.utf8.count == 10, !value.hasPrefix("0000"), Timestamp.micros(value) != nil
    else { throw invalid(field, "\"\(value.prefix(40))\" is not a date (YYYY-MM-DD)") }
    return value
  }

  static func text(
    _ value: String, field: String, required: Bool, maximum: Int
  ) throws(RPCError)
    -> String
  {
    // A character takes at most 4 bytes of UTF-8 as sent, plus a few bytes of combining marks
    // in pathological text: bytes far beyond the limit are refused before any counting.
    if value.utf8.count > maximum * 16 {
      throw invalid(field, "must be at most \(maximum) characters")
    }
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if required, trimmed.isEmpty { throw invalid(field, "is required") }
    if trimmed.count > maximum { throw invalid(field, "must be at most \(maximum) characters") }
    // Control characters other than tab and line breaks: no metadata needs them, and RDF/XML
    // (XML 1.0) cannot carry them at all.
    if trimmed.unicodeScalars.contains(where: {
      $0.value < 0x20 && $0 != "\t" && $0 != "\n" && $0 != "\r" || $0.value == 0x7F
    }) {
      throw invalid(field, "must not contain control characters")
    }
    return trimmed
  }

  static func organisationID(_ id: String, field: String) throws(RPCError) {
    if let problem = OrganisationID.problem(id) { throw invalid(field, problem) }
  }

  static func slug(_ slug: String, field: String) throws(RPCError) {
    guard OrganisationID.isLowerAlphanumericOrDash(slug), (1...80).contains(slug.utf8.count) else {
      throw invalid(field, "must be 1–80 characters of a-z, 0-9 and '-'")
    }
  }

  static func url(_ value: String, field: String) throws(RPCError) {
    guard value.count <= 2000, let url = URL(string: value),
      let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
      url.host?.isEmpty == false
    else { throw invalid(field, "\"\(value.prefix(80))\" is not an http(s) URL") }
  }

  static func email(_ value: String, field: String) throws(RPCError) {
    let parts = value.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !value.contains(" "),
      value.count <= 254
    else { throw invalid(field, "\"\(value.prefix(80))\" is not an e-mail address") }
  }
}
