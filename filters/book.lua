-- What the rendered book shows differently from the notebooks it is made of.
--
-- 1. Worked solutions keep their `# BEGIN SOLUTION` / `# END SOLUTION` markers in the
--    notebooks (the student edition is cut along them); the pages do not show them.
-- 2. Each chapter's "Download the notebook" link points at the notebook published next
--    to the page (scripts/publish_notebooks.py copies it there; the student site gets
--    the student notebook); the student site drops "Open in Colab", which can only
--    open the full notebook from the repository.
-- 3. The link line and the setup cell at the top of a chapter are wrapped in their own
--    divs, so that the search index does not begin every hit with them.
-- 4. Every page links to the same page in the other language (the English site is
--    published at the root, the Spanish one under es/; the student sites likewise), at
--    the end of the chapter's link line, or at the top of a page without one. The links
--    are found by their targets, so the translated link texts work too.

local student, spanish = false, false
if quarto and quarto.project and quarto.project.profile then
  for _, p in ipairs(quarto.project.profile) do
    if p == "student" then student = true end
    if p == "es" then spanish = true end
  end
end

-- the page's path inside its site, e.g. "chapters/05-lstm.html" or "es/chapters/...":
-- its source relative to the project, with .html for the extension
local function page_path()
  local input = quarto.doc.input_file or ""
  local dir = (quarto.project and quarto.project.directory) or ""
  if dir ~= "" and input:sub(1, #dir + 1) == dir .. "/" then
    input = input:sub(#dir + 2)
  end
  return (input:gsub("%.[^./]+$", ".html"))
end

local function depth(path)
  local _, n = path:gsub("/", "")
  return n
end

-- a relative link from this page to the same page in the other language, and its text
local function language_switch()
  local page = page_path()
  if spanish then
    -- Spanish pages live under es/ of the combined site: es/index.html is the home,
    -- es/es/chapters/X.html a chapter
    local english = page == "index.html" and "index.html" or page:gsub("^es/", "")
    return string.rep("../", depth(page) + 1) .. english, "Read in English", "en"
  end
  local target = page == "index.html" and "es/index.html" or ("es/es/" .. page)
  return string.rep("../", depth(page)) .. target, "Leer en español", "es"
end

local function switch_inline()
  local href, text, lang = language_switch()
  return pandoc.RawInline("html", '<a class="language-switch" href="' .. href
    .. '" hreflang="' .. lang .. '" lang="' .. lang .. '">' .. text .. '</a>')
end

local function is_marker(line)
  return line:match("^%s*#%s*BEGIN SOLUTION%s*$") or line:match("^%s*#%s*END SOLUTION%s*$")
end

function CodeBlock(el)
  if not el.text:find("SOLUTION", 1, true) then return nil end
  local kept = {}
  for line in (el.text .. "\n"):gmatch("(.-)\n") do
    if not is_marker(line) then table.insert(kept, line) end
  end
  el.text = table.concat(kept, "\n")
  return el
end

local function link_text(link)
  return pandoc.utils.stringify(link.content)
end

local function is_download(inline)
  return inline.t == "Link" and inline.target:match("/raw/.*%.ipynb$") ~= nil
end

local function is_colab(inline)
  return inline.t == "Link" and inline.target:match("^https://colab%.research%.google%.com/")
end

local function notebook_links(para)
  -- the paragraph "[Download the notebook](...) · [Open in Colab](...)"
  local found = false
  for _, inline in ipairs(para.content) do
    if is_download(inline) then found = true end
  end
  if not found then return nil end
  local out = {}
  for _, inline in ipairs(para.content) do
    if is_download(inline) then
      local name = inline.target:match("([^/]+%.ipynb)$")
      if name and quarto.doc.is_format("html") then
        -- raw HTML: the published copy is not a source file Quarto could resolve
        table.insert(out, pandoc.RawInline("html", '<a href="../notebooks/' .. name
          .. '" data-noresolveinput download>' .. link_text(inline) .. '</a>'))
      else
        table.insert(out, inline)
      end
    elseif is_colab(inline) then
      if not student then
        table.insert(out, pandoc.Str(" · "))
        table.insert(out, inline)
      end
    end
  end
  if quarto.doc.is_format("html") then
    table.insert(out, pandoc.Str(" · "))
    table.insert(out, switch_inline())
  end
  return pandoc.Div({ pandoc.Para(out) }, pandoc.Attr("", { "notebook-links" }))
end

function Pandoc(doc)
  local blocks = pandoc.List()
  local setup_wrapped = false
  local has_links = false
  for _, block in ipairs(doc.blocks) do
    local replaced = nil
    if block.t == "Para" then
      replaced = notebook_links(block)
      has_links = has_links or replaced ~= nil
    elseif not setup_wrapped and block.t == "Div" and block.classes:includes("cell") then
      setup_wrapped = true
      replaced = pandoc.Div({ block }, pandoc.Attr("", { "chapter-setup" }))
    elseif block.t == "Header" and block.level == 2 then
      setup_wrapped = true -- only a cell before the first section is the setup cell
    end
    blocks:insert(replaced or block)
  end
  if not has_links and quarto.doc.is_format("html") then
    -- a page without a notebook (the preface, the references): the switch on top
    blocks:insert(1, pandoc.Div({ pandoc.Plain({ switch_inline() }) },
      pandoc.Attr("", { "notebook-links" })))
  end
  doc.blocks = blocks
  return doc
end
