; GANime Studio's Windows installer (NSIS 3): installs the Windows bundle (dist\ganime\ from
; scripts\build_bundle.ps1, without its CUDA provider) for the current user, without
; administrator rights, into %LOCALAPPDATA%\Programs\GANime Studio. It makes a Start-menu shortcut
; (and, if ticked, a desktop one) to "GANime Studio.exe", offers the app in "Open with" for PNG,
; JPEG, WebP and TIFF images, and registers an uninstaller in Apps & features. The user's
; settings and models (%APPDATA%\GANime Studio) are never touched.
;
; Built by scripts\package_windows.ps1, which passes:
;   /DVERSION=x.y.z        pyproject.toml's version (the only place it is written)
;   /DVERSION_QUAD=x.y.z.w the same, numeric, for the installer's file properties
;   /DPAYLOAD=DIR          the app folder to install (absolute path)
;   /DOUTFILE=FILE         optional; default GANime-Studio-<version>-setup.exe beside this script
; The CUDA add-on has its own installer: ganime-cuda.nsi.
; tests/test_packaging.py compiles this script with makensis (Debian's nsis) against a stand-in payload.

Unicode true
!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "x64.nsh"

!ifndef VERSION
  !error "pass the version: makensis /DVERSION=x.y.z (scripts\package_windows.ps1 reads it from pyproject.toml)"
!endif
!ifndef PAYLOAD
  !error "pass the app folder: makensis /DPAYLOAD=<dist\ganime without the CUDA provider>"
!endif
!ifndef VERSION_QUAD
  !define VERSION_QUAD "0.0.0.0"
!endif
!ifndef OUTFILE
  !define OUTFILE "GANime-Studio-${VERSION}-setup.exe"
!endif

!define APP "GANime Studio"
!define EXE "GANime Studio.exe"
!define PUBLISHER "GANime Studio contributors"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GANimeStudio"
!define CUDA_UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\GANimeStudioCUDA"
!define PROGID "GANimeStudio.Image"
!define ICON "${__FILEDIR__}\..\..\assets\icons\ganime-studio.ico"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${APP}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel user
SetCompressor /SOLID lzma
ManifestDPIAware true
BrandingText "${APP} ${VERSION}"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey "ProductName" "${APP}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${APP} ${VERSION} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "${PUBLISHER} (MIT licence)"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_COMPONENTSPAGE_NODESC
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP}"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

; "Open with GANime Studio" for one file extension (per user: HKCU\Software\Classes).
!macro OpenWith EXT
  WriteRegStr HKCU "Software\Classes\Applications\${EXE}\SupportedTypes" "${EXT}" ""
  WriteRegStr HKCU "Software\Classes\${EXT}\OpenWithProgids" "${PROGID}" ""
!macroend
!macro NoOpenWith EXT
  DeleteRegValue HKCU "Software\Classes\${EXT}\OpenWithProgids" "${PROGID}"
  DeleteRegKey /ifempty HKCU "Software\Classes\${EXT}\OpenWithProgids"
  DeleteRegKey /ifempty HKCU "Software\Classes\${EXT}"
!macroend

Function .onInit
  SetShellVarContext current
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APP} needs 64-bit Windows."
    Abort
  ${EndIf}
FunctionEnd

Section "${APP}" SecApp
  SectionIn RO
  ; Never spread the app over a folder that holds something else.
  ${If} ${FileExists} "$INSTDIR\_internal\*.*"
  ${AndIfNot} ${FileExists} "$INSTDIR\${EXE}"
    MessageBox MB_ICONSTOP "$INSTDIR already holds another program's files. Choose an empty folder."
    Abort
  ${EndIf}
  ; An earlier version: its program files go first (its CUDA add-on with them: it must match the version).
  RMDir /r "$INSTDIR\_internal"
  DeleteRegKey HKCU "${CUDA_UNINST_KEY}"
  Delete "$INSTDIR\uninstall-cuda.exe"

  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"
  CreateShortcut "$SMPROGRAMS\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  ; Apps & features
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"

  ; "Open with" for images
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "Image (${APP})"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  WriteRegStr HKCU "Software\Classes\Applications\${EXE}" "FriendlyAppName" "${APP}"
  WriteRegStr HKCU "Software\Classes\Applications\${EXE}\shell\open\command" "" '"$INSTDIR\${EXE}" "%1"'
  !insertmacro OpenWith ".png"
  !insertmacro OpenWith ".jpg"
  !insertmacro OpenWith ".jpeg"
  !insertmacro OpenWith ".webp"
  !insertmacro OpenWith ".tif"
  !insertmacro OpenWith ".tiff"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'  ; SHCNE_ASSOCCHANGED
SectionEnd

Section /o "Desktop shortcut" SecDesktop
  CreateShortcut "$DESKTOP\${APP}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APP}.lnk"
  Delete "$DESKTOP\${APP}.lnk"
  ; Only what the installers put there (the CUDA add-on's files are inside _internal).
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\ganime.exe"
  Delete "$INSTDIR\uninstall-cuda.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "${CUDA_UNINST_KEY}"
  DeleteRegKey HKCU "Software\Classes\${PROGID}"
  DeleteRegKey HKCU "Software\Classes\Applications\${EXE}"
  !insertmacro NoOpenWith ".png"
  !insertmacro NoOpenWith ".jpg"
  !insertmacro NoOpenWith ".jpeg"
  !insertmacro NoOpenWith ".webp"
  !insertmacro NoOpenWith ".tif"
  !insertmacro NoOpenWith ".tiff"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd
