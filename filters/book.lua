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

local student = false
if quarto and quarto.project and quarto.project.profile then
  for _, p in ipairs(quarto.project.profile) do
    if p == "student" then student = true end
  end
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

local function notebook_links(para)
  -- the paragraph "[Download the notebook](...) · [Open in Colab](...)"
  local found = false
  for _, inline in ipairs(para.content) do
    if inline.t == "Link" and link_text(inline) == "Download the notebook" then
      found = true
    end
  end
  if not found then return nil end
  local out = {}
  for _, inline in ipairs(para.content) do
    if inline.t == "Link" and link_text(inline) == "Download the notebook" then
      local name = inline.target:match("([^/]+%.ipynb)$")
      if name and quarto.doc.is_format("html") then
        -- raw HTML: the published copy is not a source file Quarto could resolve
        table.insert(out, pandoc.RawInline("html", '<a href="../notebooks/' .. name
          .. '" download>Download the notebook</a>'))
      else
        table.insert(out, inline)
      end
    elseif inline.t == "Link" and link_text(inline) == "Open in Colab" then
      if not student then
        table.insert(out, pandoc.Str(" · "))
        table.insert(out, inline)
      end
    end
  end
  return pandoc.Div({ pandoc.Para(out) }, pandoc.Attr("", { "notebook-links" }))
end

function Pandoc(doc)
  local blocks = pandoc.List()
  local setup_wrapped = false
  for _, block in ipairs(doc.blocks) do
    local replaced = nil
    if block.t == "Para" then
      replaced = notebook_links(block)
    elseif not setup_wrapped and block.t == "Div" and block.classes:includes("cell") then
      setup_wrapped = true
      replaced = pandoc.Div({ block }, pandoc.Attr("", { "chapter-setup" }))
    elseif block.t == "Header" and block.level == 2 then
      setup_wrapped = true -- only a cell before the first section is the setup cell
    end
    blocks:insert(replaced or block)
  end
  doc.blocks = blocks
  return doc
end
