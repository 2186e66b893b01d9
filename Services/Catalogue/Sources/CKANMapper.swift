import Foundation
public import ORDPCatalogueAPI

/// Maps one CKAN `package_show` document onto a DCAT-AP.de dataset. I/O-free.
///
/// Takes what real CKAN instances send: the whole API response or only its `result`; extras as
/// a list of key/value pairs or as an object; list values as JSON inside strings; texts as
/// objects keyed by language (opentransportdata.swiss); licences on the package, in
/// `extras.terms_of_use` (old OGPD) or only on the resources; GovData groups and EU theme URIs.
public enum CKANMapper {
  public struct Rejection: Error, Equatable {
    public var reason: String
  }

  /// The CKAN id (or "name:<name>" when it has no id) and the dataset (not validated yet).
  public static func map(
    json: String, publisher fallback: String
  ) throws(Rejection) -> (
    ckanID: String, dataset: Ordp_Catalogue_V1_Dataset
  ) {
    guard let data = json.data(using: .utf8), !data.isEmpty else {
      throw Rejection(reason: "empty document")
    }
    let parsed: Any
    do {
      parsed = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw Rejection(reason: "not JSON: \(error.localizedDescription)")
    }
    guard var package = parsed as? [String: Any] else {
      throw Rejection(reason: "not a JSON object")
    }
    if let result = package["result"] as? [String: Any] { package = result }
    if package["results"] != nil {
      throw Rejection(reason: "a package_search response; import its results one by one")
    }
    if (package["type"] as? String) == "harvest" {
      throw Rejection(reason: "a harvest source, not a dataset")
    }
    let extras = Extras(package["extras"])
    let ckanID: String
    if let id = string(package["id"]), !id.isEmpty {
      ckanID = id
    } else if let name = string(package["name"]), !name.isEmpty {
      ckanID = "name:\(name)"
    } else {
      throw Rejection(reason: "no CKAN id or name")
    }

    var dataset = Ordp_Catalogue_V1_Dataset()
    dataset.ckanID = ckanID
    dataset.publisher = publisherID(package) ?? fallback
    dataset.title = text(package["title"]) ?? ""
    dataset.description_p = text(package["notes"]) ?? text(package["description"]) ?? ""
    if dataset.title.isEmpty { throw Rejection(reason: "no title") }
    if dataset.description_p.isEmpty {
      throw Rejection(reason: "no description (notes); DCAT-AP.de requires one")
    }
    if let name = string(package["name"]), GermanFolding.slug(name) == name.lowercased() {
      dataset.slug = name.lowercased()
    }
    dataset.keywords = keywords(package)
    dataset.themes = themes(package, extras)
    dataset.license = license(package, extras)
    dataset.landingPage = url(string(package["url"])) ?? ""
    dataset.issuedMicros = micros(extras["issued"] ?? string(package["metadata_created"])) ?? 0
    dataset.modifiedMicros = micros(extras["modified"] ?? string(package["metadata_modified"])) ?? 0
    dataset.accessLevel = (package["private"] as? Bool) == true ? .restricted : .public

    var contact = Ordp_Catalogue_V1_ContactPoint()
    contact.name =
      extras["contact_name"] ?? string(package["maintainer"]) ?? string(package["author"]) ?? ""
    let email =
      extras["contact_email"] ?? string(package["maintainer_email"])
      ?? string(package["author_email"]) ?? ""
    if email.contains("@"), !email.contains(" ") { contact.email = email }
    if !contact.name.isEmpty || !contact.email.isEmpty { dataset.contactPoint = contact }

    var spatial = Ordp_Catalogue_V1_SpatialCoverage()
    if let geometry = extras["spatial"], let box = boundingBox(geoJSON: geometry) {
      spatial.hasBbox_p = true
      spatial.bbox = box
    }
    spatial.politicalGeocodingUris = list(extras["politicalGeocodingURI"]).compactMap(url)
    if spatial.hasBbox_p || !spatial.politicalGeocodingUris.isEmpty { dataset.spatial = spatial }
    let start = extras["temporal_start"].map { String($0.prefix(10)) } ?? ""
    let end = extras["temporal_end"].map { String($0.prefix(10)) } ?? ""
    if !start.isEmpty || !end.isEmpty {
      dataset.temporal.startDate = start
      dataset.temporal.endDate = end
    }
    let resources = package["resources"] as? [[String: Any]] ?? []
    dataset.distributions = resources.enumerated().compactMap { index, resource in
      distribution(resource, index: index)
    }
    if dataset.license.isEmpty,
      let first = dataset.distributions.first(where: { !$0.license.isEmpty })
    {
      dataset.license = first.license
    }
    return (ckanID, dataset)
  }

  /// The town a document is imported into, as `ImportCkan` decides it: the request's
  /// publisher when it names one, else the CKAN organisation's; nil when neither says (the
  /// import then rejects the document with its reason). Used by the gateway to route a
  /// document to its town's partition.
  public static func town(json: String, publisher: String) -> String? {
    if !publisher.isEmpty { return publisher }
    guard json.utf8.count <= CKANDocuments.maximumBytes, let data = json.data(using: .utf8),
      var package = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    else { return nil }
    if let result = package["result"] as? [String: Any] { package = result }
    return publisherID(package)
  }

  // MARK: Fields

  static func publisherID(_ package: [String: Any]) -> String? {
    guard let organisation = package["organization"] as? [String: Any],
      let name = string(organisation["name"])
    else { return nil }
    let id = GermanFolding.slug(name)
    return id.isEmpty ? nil : id
  }

  static func keywords(_ package: [String: Any]) -> [String] {
    var words: [String] = []
    for tag in package["tags"] as? [Any] ?? [] {
      if let tag = tag as? [String: Any],
        let name = string(tag["display_name"]) ?? string(tag["name"])
      {
        words.append(name)
      } else if let name = tag as? String {
        words.append(name)
      }
    }
    if let byLanguage = package["keywords"] as? [String: Any] {
      for language in ["de", "en", "fr", "it"] {
        if let list = byLanguage[language] as? [String], !list.isEmpty {
          words += list
          break
        }
      }
    }
    return words.map { $0.trimmingCharacters(in: .whitespaces) }.filter {
      !$0.isEmpty && $0.count <= 100
    }
  }

  /// GovData's OGD categories and EU theme codes or URIs.
  static let groupThemes: [String: String] = [
    "bevoelkerung": "SOCI", "bildung_wissenschaft": "EDUC", "geo": "REGI",
    "gesetze_justiz": "JUST", "gesundheit": "HEAL", "infrastruktur_bauen_wohnen": "REGI",
    "kultur_freizeit_sport_tourismus": "EDUC", "politik_wahlen": "GOVE", "soziales": "SOCI",
    "transport_verkehr": "TRAN", "umwelt_klima": "ENVI", "verbraucherschutz": "HEAL",
    "oeffentliche_verwaltung_haushalt_steuern": "GOVE", "wirtschaft_arbeit": "ECON",
  ]

  static func themes(_ package: [String: Any], _ extras: Extras) -> [String] {
    var codes: [String] = []
    var candidates: [String] = list(extras["theme"])
    for group in package["groups"] as? [Any] ?? [] {
      if let group = group as? [String: Any], let name = string(group["name"]) {
        candidates.append(name)
      } else if let name = group as? String {
        candidates.append(name)
      }
    }
    for candidate in candidates {
      let last = candidate.split(separator: "/").last.map(String.init) ?? candidate
      let code = groupThemes[last.lowercased()] ?? last.uppercased()
      if DatasetValidator.themes.contains(code), !codes.contains(code) { codes.append(code) }
    }
    return codes
  }

  static func license(_ package: [String: Any], _ extras: Extras) -> String {
    let raw = string(package["license_id"]) ?? extras.termsOfUseLicense ?? ""
    return normaliseLicense(raw)
  }

  /// The dcat-ap.de licence id `raw` means; else `raw` unchanged (validation then refuses the
  /// document, naming the licence), empty for CKAN's "notspecified".
  static func normaliseLicense(_ raw: String) -> String {
    if raw == "notspecified" { return "" }
    return DCATLicences.id(raw) ?? raw
  }

  static func distribution(_ resource: [String: Any], index: Int) -> Ordp_Catalogue_V1_Distribution?
  {
    guard let access = url(string(resource["url"])) else { return nil }
    var distribution = Ordp_Catalogue_V1_Distribution()
    distribution.id =
      string(resource["id"]).flatMap { $0.isEmpty ? nil : $0 } ?? "resource-\(index)"
    distribution.title = text(resource["name"]) ?? text(resource["title"]) ?? ""
    distribution.description_p = text(resource["description"]) ?? ""
    distribution.accessURL = access
    distribution.downloadURL = url(string(resource["download_url"])) ?? access
    var format = string(resource["format"]) ?? ""
    var mediaType = string(resource["mimetype"]) ?? ""
    let mediaPrefix = "https://www.iana.org/assignments/media-types/"
    if format.hasPrefix(mediaPrefix) {
      mediaType = String(format.dropFirst(mediaPrefix.count))
      format = ""
    } else if format.contains("/"), !format.contains(":") {
      mediaType = format
      format = ""
    }
    if format.isEmpty, let subtype = mediaType.split(separator: "/").last {
      format = String(subtype.split(separator: "+").first ?? subtype).uppercased()
    }
    distribution.format = String(format.prefix(100))
    if mediaType.split(separator: "/").count == 2, !mediaType.contains(" ") {
      distribution.mediaType = mediaType
    }
    if let size = resource["size"] as? Int, size >= 0 {
      distribution.byteSize = Int64(size)
    } else if let size = string(resource["size"]).flatMap({ Int64($0) }), size >= 0 {
      distribution.byteSize = size
    }
    if let hash = string(resource["hash"])?.lowercased(), hash.allSatisfy(\.isHexDigit) {
      let algorithms = [32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"]
      if let algorithm = algorithms[hash.count] {
        distribution.checksum.algorithm = algorithm
        distribution.checksum.value = hash
      }
    }
    distribution.license = normaliseLicense(string(resource["license"]) ?? "")
    return distribution
  }

  // MARK: Values

  static func string(_ value: Any?) -> String? {
    switch value {
    case let text as String: return text
    case let number as NSNumber: return number.stringValue
    default: return nil
    }
  }

  /// A text, or the German (else English, else any) entry of a language-keyed object, also
  /// when that object arrives as a JSON string.
  static func text(_ value: Any?) -> String? {
    if let object = value as? [String: Any] {
      for language in ["de", "en", "fr", "it"] {
        if let text = string(object[language]), !text.isEmpty { return text }
      }
      return object.values.compactMap(string).first { !$0.isEmpty }
    }
    guard let text = string(value)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
      return nil
    }
    if text.hasPrefix("{"), let data = text.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    {
      return self.text(object)
    }
    return text.isEmpty ? nil : text
  }

  /// A list from a JSON array, a JSON array inside a string, or one plain value.
  static func list(_ value: String?) -> [String] {
    guard let value, !value.isEmpty else { return [] }
    if value.hasPrefix("["), let data = value.data(using: .utf8),
      let array = try? JSONSerialization.jsonObject(with: data) as? [Any]
    {
      return array.compactMap(string)
    }
    return [value]
  }

  /// An http(s) URL, with non-ASCII characters percent-encoded; nil otherwise.
  static func url(_ value: String?) -> String? {
    guard var value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
      return nil
    }
    if URL(string: value) == nil {
      value = value.addingPercentEncoding(withAllowedCharacters: .urlAllowed) ?? value
    }
    guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
      scheme == "http" || scheme == "https", url.host?.isEmpty == false
    else { return nil }
    return value
  }

  /// ISO 8601 date or date-time, with or without fraction and zone (UTC when none).
  static func micros(_ value: String?) -> Int64? {
    guard let value else { return nil }
    return Timestamp.micros(value.trimmingCharacters(in: .whitespaces))
  }

  /// The bounding box of a GeoJSON geometry's coordinates.
  static func boundingBox(geoJSON: String) -> Ordp_Catalogue_V1_BoundingBox? {
    guard let data = geoJSON.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let coordinates = object["coordinates"]
    else { return nil }
    var points: [(Double, Double)] = []
    func collect(_ value: Any) {
      if let pair = value as? [Any], pair.count >= 2, let x = (pair[0] as? NSNumber)?.doubleValue,
        let y = (pair[1] as? NSNumber)?.doubleValue
      {
        points.append((x, y))
      } else if let array = value as? [Any] {
        array.forEach(collect)
      }
    }
    collect(coordinates)
    guard !points.isEmpty else { return nil }
    var box = Ordp_Catalogue_V1_BoundingBox()
    box.west = points.map(\.0).min()!
    box.east = points.map(\.0).max()!
    box.south = points.map(\.1).min()!
    box.north = points.map(\.1).max()!
    return box
  }

  /// CKAN extras as a list of {key, value} or as an object; values as text.
  struct Extras {
    private var values: [String: String] = [:]
    var termsOfUseLicense: String?

    init(_ raw: Any?) {
      if let list = raw as? [[String: Any]] {
        for entry in list {
          guard let key = CKANMapper.string(entry["key"]) else { continue }
          if values[key] == nil, let value = Self.text(entry["value"]) { values[key] = value }
        }
      } else if let object = raw as? [String: Any] {
        for (key, value) in object {
          if let text = Self.text(value) { values[key] = text }
        }
        if let terms = object["terms_of_use"] as? [String: Any] {
          termsOfUseLicense = CKANMapper.string(terms["license_id"])
        }
      }
    }

    /// Strings as they are; numbers as text; lists and objects as JSON.
    static func text(_ value: Any?) -> String? {
      if let text = CKANMapper.string(value) { return text }
      guard let value, JSONSerialization.isValidJSONObject(value),
        let data = try? JSONSerialization.data(withJSONObject: value)
      else { return nil }
      return String(decoding: data, as: UTF8.self)
    }

    subscript(key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
  }
}

extension CharacterSet {
  /// Characters allowed unescaped anywhere in a URL.
  static let urlAllowed = CharacterSet.urlQueryAllowed.union(.urlPathAllowed).union(
    CharacterSet(charactersIn: "#%"))
}
